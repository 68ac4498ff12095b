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

DEMO := $(BIN)/fupin --workspace out/demo

demo: setup
	rm -rf out/demo
	$(DEMO) init
	$(DEMO) render examples/*.yaml -f docx,pdf -o out/demo/output --archive
	$(DEMO) archive list
	$(DEMO) search 脫貧攻堅 --limit 3
	$(DEMO) search 危房 --kind minutes
	$(BIN)/python scripts/make_check_sheet.py out/demo/排查表.xlsx
	$(DEMO) ledger import-check out/demo/排查表.xlsx --date 2020-06-08 --deadline 2020-06-30
	$(DEMO) ledger summary --today 2020-07-01
	$(DEMO) pack 危房 --purpose 迎接县级督查：危房改造佐证材料 -o out/demo/危房改造佐证材料.zip
	$(DEMO) pack verify out/demo/危房改造佐证材料.zip
	$(DEMO) archive verify
	@echo "演示完成：公文在 out/demo/output/，佐证材料包在 out/demo/危房改造佐证材料.zip"

# The suite once more with every workspace on the county database (PostgreSQL),
# for the tests that speak only through the library, the CLI and the server; the
# ones that open the embedded store's own files are marked `embedded`. Tests of
# both backends side by side run in the first pass (tests/test_*backends*.py,
# test_county_*.py, and the `any_workspace` fixture).
COUNTY_PASS := tests/test_server.py tests/test_server_api.py tests/test_server_drafting.py \
	tests/test_search_ranking.py tests/test_python_api.py tests/test_hostile_archive.py \
	tests/test_hostile_pack.py tests/test_ledger_report.py

test: setup
	$(BIN)/python -m pytest -q
	FUPIN_TEST_BACKEND=county $(BIN)/python -m pytest -q -m "not bench and not embedded" $(COUNTY_PASS)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf out $(VENV)
