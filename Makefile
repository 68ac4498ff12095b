# Two entry points for a fresh machine (see README.md):
#   make demo   set everything up, then render every bundled example
#   make test   set everything up, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system demo test bench clean

system:
	bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: system $(STAMP)

demo: setup
	rm -rf out/demo
	$(BIN)/fupin --workspace out/demo init
	$(BIN)/fupin --workspace out/demo render examples/*.yaml -f docx,pdf -o out/demo/output --archive
	$(BIN)/fupin --workspace out/demo archive list
	$(BIN)/fupin --workspace out/demo search 脱贫攻坚 --limit 5

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf out $(VENV)
