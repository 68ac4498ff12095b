"""Search over a real archive of the government corpus plus office files:
both scripts, two-character words, phrases, OR, exclusion, filters, ranking,
and an index that is missing, damaged or out of step."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from fupin_docs.archive import Archive
from fupin_docs.cli.main import cli
from fupin_docs.search import index_status, rebuild_index, search
from fupin_docs.search.normalize import normalize, to_simplified
from fupin_docs.search.query import parse_query
from conftest import copy_workspace, make_workspace, on_county_database

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
SEED = DATA / "seed"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5ad8b"
    "c20000000049454e44ae426082")


def corpus_files():
    files = sorted(CORPUS.glob("*.txt"))
    assert len(files) == 12, f"the 12 corpus texts are part of the repo; found {len(files)} in {CORPUS}"
    return files


def header(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()[:3]
    return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One archive for the read-only tests: 12 corpus texts + a traditional-script
    docx from the seed + minutes docx + ledger xlsx + a photo."""
    root = tmp_path_factory.mktemp("search") / "ws"
    root.mkdir()
    (root / "fupin.toml").write_text("# test workspace\n", encoding="utf-8")  # the CLI needs a workspace
    ws = make_workspace(root)
    archive = Archive(ws)
    numbers = {}
    for n, path in enumerate(corpus_files(), 1):
        meta = header(path)
        unit = "长顺县" if "guizhou" in path.name or "changshun" in path.name else "国务院办公厅"
        item = archive.add(path, title=meta["TITLE"], kind=meta["KIND"], unit=unit,
                           date=f"20{10 + n}-06-01", tags=("政策",)).item
        numbers[path.name[:2]] = item.archive_no
    files = tmp_path_factory.mktemp("search-files")
    seed_text = sorted(SEED.glob("*.txt"))[0].read_text(encoding="utf-8")[:3000]
    document = Document()
    for line in seed_text.splitlines():
        document.add_paragraph(line)
    document.save(files / "繁體督戰方案.docx")
    numbers["seed"] = archive.add(files / "繁體督戰方案.docx", title="脫貧攻堅掛牌督戰工作方案", kind="plan",
                                  unit="某區", date="2020-03-01", doc_number="三政发〔2020〕12号").item.archive_no
    minutes = Document()
    minutes.add_paragraph("三星村危房改造专题会议纪要")
    minutes.add_paragraph("会议听取了危房改造进展汇报，要求对排查出的问题逐项整改，整改一件、销号一件。")
    minutes.save(files / "纪要.docx")
    numbers["minutes"] = archive.add(files / "纪要.docx", title="三星村危房改造专题会议纪要", kind="会议纪要",
                                     unit="三星村", date="2020-03-20", tags=("危房改造", "专题会")).item.archive_no
    book = openpyxl.Workbook()
    book.active.append(["问题", "整改措施", "状态"])
    book.active.append(["饮水管道漏水", "更换管道", "已销号"])
    book.save(files / "台账.xlsx")
    numbers["ledger"] = archive.add(files / "台账.xlsx", title="三星村问题台账", kind="台账", unit="三星村",
                                    date="2020-04-01").item.archive_no
    (files / "photo.png").write_bytes(PNG_1PX)
    numbers["photo"] = archive.add(files / "photo.png", title="三星村饮水安全入户核查现场照片", unit="三星村",
                                   date="2020-04-02", tags=("饮水安全",)).item.archive_no
    assert rebuild_index(ws) == len(numbers)
    return ws, numbers


def nos(hits):
    return [hit.archive_no for hit in hits]


def texts(ws):
    archive = Archive(ws)
    from fupin_docs.archive.extract import extract_text
    return {item.archive_no: normalize(item.title + "\n" + extract_text(archive.file_path(item), item.file_name))
            for item in archive.items()}


def test_normalisation_is_opencc_t2s_both_ways():
    from opencc import OpenCC
    opencc = OpenCC("t2s")
    for path in sorted(SEED.glob("*.txt"))[:1] + corpus_files()[:3]:
        text = path.read_text(encoding="utf-8")[:20000]
        assert to_simplified(text) == opencc.convert(text)  # the chunk-skipping shortcut changes nothing
    assert to_simplified("脫貧攻堅") == "脱贫攻坚"
    assert to_simplified("脱贫攻坚") == "脱贫攻坚"
    assert to_simplified("頭髮") == "头发"  # phrase-level conversion still goes through OpenCC


def test_traditional_query_finds_simplified_documents_and_back(built):
    ws, numbers = built
    assert nos(search(ws, "消費扶貧"))[0] == numbers["01"]
    simplified = nos(search(ws, "挂牌督战", limit=50))
    traditional = nos(search(ws, "掛牌督戰", limit=50))
    assert numbers["seed"] in simplified and simplified == traditional
    assert set(nos(search(ws, "脫貧攻堅", limit=50))) == set(nos(search(ws, "脱贫攻坚", limit=50)))


@pytest.mark.parametrize("word", ["整改", "销号", "危房"])
def test_two_character_words_are_found_exactly(built, word):
    ws, numbers = built
    hits = search(ws, word, limit=100)
    corpus = texts(ws)
    expected = {no for no, text in corpus.items() if word in text}
    assert expected and set(nos(hits)) == expected
    for hit in hits:  # the word is marked in the snippet, in whichever script the document uses
        assert word in [to_simplified(marked) for marked in re.findall("【(.*?)】", hit.snippet)], hit.snippet


def test_two_character_words_inside_longer_words(built):
    ws, numbers = built
    assert numbers["ledger"] in nos(search(ws, "销号"))  # cell text "已销号"
    assert numbers["minutes"] in nos(search(ws, "销号"))  # "销号一件"


def test_quoted_phrase_is_exact_unquoted_is_all_words(built):
    ws, numbers = built
    corpus = texts(ws)
    quoted = nos(search(ws, '"易地扶贫搬迁"', limit=100))
    assert quoted and all("易地扶贫搬迁" in corpus[no] for no in quoted)
    assert set(quoted) == {no for no, text in corpus.items() if "易地扶贫搬迁" in text}
    # words that occur, but never side by side
    loose = nos(search(ws, "搬迁医疗", limit=100))
    assert loose and all("搬迁" in corpus[no] and "医疗" in corpus[no] for no in loose)
    assert search(ws, '"搬迁医疗"') == []


def test_or_and_exclusion(built):
    ws, numbers = built
    corpus = texts(ws)
    a, b = set(nos(search(ws, "销号", limit=100))), set(nos(search(ws, "危房", limit=100)))
    assert set(nos(search(ws, "销号 OR 危房", limit=100))) == a | b
    assert set(nos(search(ws, "销号 或 危房", limit=100))) == a | b
    both = set(nos(search(ws, "销号 危房", limit=100)))
    assert both == a & b
    plain = set(nos(search(ws, "脱贫", limit=100)))
    excluded = set(nos(search(ws, "脱贫 -医疗", limit=100)))
    assert excluded and excluded < plain
    assert excluded == {no for no in plain if "医疗" not in corpus[no]}
    assert set(nos(search(ws, "脱贫 NOT 医疗", limit=100))) == excluded


def test_filters(built):
    ws, numbers = built
    assert nos(search(ws, "危房", kind="会议纪要")) == [numbers["minutes"]]
    assert nos(search(ws, "危房", kind="minutes")) == [numbers["minutes"]]
    assert set(nos(search(ws, "三星村", unit="三星村"))) == {numbers["minutes"], numbers["ledger"], numbers["photo"]}
    dated = search(ws, "脱贫", date_from="2015-01-01", date_to="2017-12-31", limit=100)
    assert dated and all("2015-01-01" <= hit.date <= "2017-12-31" for hit in dated)
    assert nos(search(ws, "危房", tags=["专题会"])) == [numbers["minutes"]]
    # filters alone list what matches, newest first
    listed = search(ws, "", unit="三星村")
    assert nos(listed) == [numbers["photo"], numbers["ledger"], numbers["minutes"]]


def test_images_are_found_by_their_metadata(built):
    ws, numbers = built
    assert numbers["photo"] in nos(search(ws, "飲水安全 入戶核查"))


def test_ranking_on_the_corpus(built):
    ws, numbers = built
    assert nos(search(ws, "消费扶贫"))[0] == numbers["01"]
    assert nos(search(ws, "易地扶贫搬迁"))[0] == numbers["11"]
    assert nos(search(ws, "医疗救助"))[0] == numbers["12"]
    assert nos(search(ws, "危房改造 三星村"))[0] == numbers["minutes"]
    hits = search(ws, "消费扶贫")
    assert hits[0].score > hits[1].score
    assert "【消费扶贫】" in hits[0].snippet


def test_no_hits_is_said_plainly(built):
    ws, _ = built
    assert search(ws, "量子计算机") == []
    assert search(ws, "𠀀𠀁") == []  # characters the index cannot hold match nothing, not everything
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "search", "量子计算机"])
    assert result.exit_code == 0 and "没有找到与“量子计算机”相关的文件" in result.output


def test_cli_search_text_and_json(built):
    ws, numbers = built
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "search"]
    result = runner.invoke(cli, base + ["脫貧", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"query", "total", "total_exact", "shown", "notes", "hits"}
    assert data["shown"] == len(data["hits"]) == 3
    # total counts every document that matches, not only the three shown
    corpus = texts(ws)
    expected = {no for no, text in corpus.items() if "脱贫" in text}
    assert data["total"] == len(expected) > 3 and data["total_exact"] is True
    assert set(data["hits"][0]) == {"archive_no", "title", "kind", "unit", "date", "score", "snippet", "match",
                                      "township"}
    assert data["hits"][0]["township"] is None  # a township's own search
    assert {hit["match"] for hit in data["hits"]} == {"as_typed"}
    shown = runner.invoke(cli, base + ["脫貧", "--limit", "2"]).output
    assert f"共找到 {len([t for t in corpus.values() if '脱贫' in t])} 件，按相关程度列出前 2 件" in shown
    text = runner.invoke(cli, base + ["危房", "--kind", "会议纪要", "--from", "2020-01-01", "--to", "2020-12-31"])
    assert numbers["minutes"] in text.output and "【危房】" in text.output
    bad = runner.invoke(cli, base + ["危房", "--from", "2020-02-30"])
    assert bad.exit_code == 1 and "2020-02-30" in bad.output and "不存在" in bad.output
    assert runner.invoke(cli, base + ["危房", "--bogus"]).exit_code == 2
    assert runner.invoke(cli, base).exit_code == 1


def test_query_parser():
    parsed = parse_query('“问题清零” 整改 OR 销號 -醫療')
    assert [[(t.text, t.phrase) for t in g] for g in parsed.groups] == [[("问题清零", True)], [("整改", False), ("销号", False)]]
    assert [t.text for t in parsed.excluded] == ["医疗"]


@pytest.fixture
def copy(built, tmp_path):
    ws, numbers = built
    return copy_workspace(ws, tmp_path / "ws"), numbers


def test_deleted_index_is_rebuilt(copy):
    ws, numbers = copy
    if on_county_database(ws):  # someone with the database's password empties the index table
        import psycopg
        with psycopg.connect(ws.config.database.url) as conn:
            conn.execute("DELETE FROM search_doc")
    else:
        shutil.rmtree(ws.indexes_dir)
    notes = []
    assert nos(search(ws, "消费扶贫", notes=notes))[0] == numbers["01"]
    # the database's index keeps its bookkeeping: it is caught up; a deleted folder is rebuilt
    assert notes and ("16 件未编入索引" in notes[0] and "补齐" in notes[0] if on_county_database(ws)
                      else "重建" in notes[0])
    assert index_status(ws).ok


@pytest.mark.embedded  # the Whoosh index's files
@pytest.mark.parametrize("damage", ["junk", "truncate", "version"])
def test_damaged_index_is_rebuilt(copy, damage):
    ws, numbers = copy
    index_dir = ws.indexes_dir / "whoosh"
    if damage == "junk":
        for path in index_dir.iterdir():
            path.write_bytes(b"\x00garbage" * 10)
    elif damage == "truncate":
        biggest = max((p for p in index_dir.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
        biggest.write_bytes(biggest.read_bytes()[:200])
    else:
        (index_dir / "fupin-index.json").write_text('{"schema_version": 0}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "search", "消费扶贫", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["hits"][0]["archive_no"] == numbers["01"]
    assert data["notes"]
    assert index_status(ws).ok


def test_add_updates_the_index_and_withdraw_removes(copy, tmp_path):
    from fupin_docs.filing import file_document, withdraw_document
    ws, numbers = copy
    path = tmp_path / "通知.txt"
    path.write_text("关于开展饮水安全“回头看”专项督查的通知", encoding="utf-8")
    result = file_document(ws, path, kind="督查通知", date="2020-05-05")
    assert result.index_error is None
    assert index_status(ws).ok  # incremental, no rebuild needed
    assert nos(search(ws, '"专项督查的通知"')) == [result.item.archive_no]
    withdrawn = withdraw_document(ws, result.item.archive_no, "误归档")
    assert withdrawn.index_error is None
    assert index_status(ws).ok  # taken out at once, not left for the next search to repair
    assert search(ws, '"专项督查的通知"') == []


def test_index_out_of_step_is_caught_up_by_search(copy, tmp_path):
    ws, numbers = copy
    archive = Archive(ws)
    path = tmp_path / "补充.txt"
    path.write_text("易地扶贫搬迁后续扶持情况补充说明", encoding="utf-8")
    item = archive.add(path, date="2020-07-01").item  # as if the index update had failed
    assert not index_status(ws).ok
    notes = []
    assert item.archive_no in nos(search(ws, "后续扶持", notes=notes))
    assert notes and index_status(ws).ok


@pytest.mark.embedded  # the Whoosh index's lock file
def test_search_answers_while_another_program_writes_the_index(copy, tmp_path):
    """A filing's index update holds the index lock for a moment; a search meanwhile
    answers from the index as it stands instead of waiting for it (the lock's timeout
    is minutes), and the first search after the writer lets go brings it in step."""
    import subprocess
    import sys
    import time

    ws, numbers = copy
    path = tmp_path / "补充.txt"
    path.write_text("易地扶贫搬迁后续扶持情况补充说明", encoding="utf-8")
    item = Archive(ws).add(path, date="2020-07-01").item  # filed; its index update not yet made
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom filelock import FileLock\nlock = FileLock(sys.argv[1])\n"
         "lock.acquire()\nprint('held', flush=True)\ntime.sleep(60)", str(ws.indexes_dir / ".lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        notes = []
        during = search(ws, "消费扶贫 OR 后续扶持", notes=notes, limit=50)
        assert time.monotonic() - started < 10
        assert numbers["01"] in nos(during) and item.archive_no not in nos(during) and not notes
    finally:
        holder.kill()
        holder.wait()
    notes = []
    assert item.archive_no in nos(search(ws, "后续扶持", notes=notes))
    assert notes and index_status(ws).ok


def test_a_filing_keeps_searches_from_repairing_the_index_under_it(copy, tmp_path):
    """Between a filing's journal record and its index update the archive is ahead
    of the index; the filing holds the index lock across both (archive_change), so a
    search in that moment answers from the index as it stands instead of reading
    every indexed document to repair it, and the filing's own update then lands."""
    import threading

    from fupin_docs.search import archive_change, index_item

    ws, numbers = copy
    path = tmp_path / "补充.txt"
    path.write_text("易地扶贫搬迁后续扶持情况补充说明", encoding="utf-8")
    answered: dict = {}
    with archive_change(ws):
        item = Archive(ws).add(path, date="2020-07-01").item
        assert not index_status(ws).ok  # the journal is ahead of the index
        notes: list = []
        other = threading.Thread(target=lambda: answered.update(hits=search(ws, "后续扶持 OR 消费扶贫", notes=notes)))
        other.start()
        other.join(30)
        assert not other.is_alive()
        assert item.archive_no not in nos(answered["hits"]) and numbers["01"] in nos(answered["hits"])
        assert not notes and not index_status(ws).ok  # the search repaired nothing
        index_item(ws, item, "易地扶贫搬迁后续扶持情况补充说明")  # does not wait for the lock its thread holds
    assert index_status(ws).ok
    assert item.archive_no in nos(search(ws, "后续扶持"))


def test_metadata_edit_missed_by_the_index_is_caught_up_by_search(copy):
    ws, numbers = copy
    photo = numbers["photo"]  # an image: its metadata is all the index knows of it
    Archive(ws).change(photo, reason="题名、单位登记错误", title="鸬鹚湾村光伏电站现场照片",
                       unit="鸬鹚湾村")  # as if the re-index had failed
    status = index_status(ws)
    assert not status.ok and photo in status.missing and "修改前" in status.message
    assert not index_status(ws, quick=True).ok
    notes = []
    assert nos(search(ws, "光伏电站", notes=notes)) == [photo]
    assert notes and index_status(ws).ok and index_status(ws, quick=True).ok
    assert photo not in nos(search(ws, "入户核查", limit=100))  # the old title is gone
    assert nos(search(ws, "", unit="鸬鹚湾村")) == [photo]
    assert photo not in nos(search(ws, "", unit="三星村", limit=100))


def test_and_words_are_a_plain_space(built):
    ws, numbers = built
    both = nos(search(ws, "销号 危房", limit=100))
    assert both
    for query in ("销号 AND 危房", "销号 and 危房", "销号 与 危房", "销号 和 危房", "AND 销号 危房 AND"):
        assert nos(search(ws, query, limit=100)) == both, query
    assert nos(search(ws, "危房 AND", limit=100)) == nos(search(ws, "危房", limit=100))
    # 和 inside a word is an ordinary character
    assert [[t.text for t in g] for g in parse_query("和美乡村 AND 饮水").groups] == [["和美乡村"], ["饮水"]]


def test_bar_without_spaces_is_or(built):
    ws, numbers = built
    either = set(nos(search(ws, "危房 OR 饮水", limit=100)))
    assert len(either) > len(set(nos(search(ws, "危房", limit=100))))
    for query in ("危房|饮水", "危房 | 饮水", "危房｜饮水", "危房|饮水|"):
        assert set(nos(search(ws, query, limit=100))) == either, query
    assert [t.text for t in parse_query('"a|b"').groups[0]] == ["a|b"]  # a quoted bar is text


def test_archive_number_and_doc_number_find_the_item(built):
    ws, numbers = built
    no = numbers["minutes"]  # e.g. Z001-WS·2020-D30-ZFB-0003
    for query in (no, no.replace("·", "-"), no.replace("·", "."), no.lower(), no[:-4] + str(int(no[-4:]))):
        assert nos(search(ws, query))[:1] == [no], query
    for query in ("三政发〔2020〕12号", "三政发[2020]12号", "三政發（2020）12號", "三政发〔2020〕第12号"):
        hits = search(ws, query)
        assert nos(hits)[:1] == [numbers["seed"]], query
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "search", no.replace("·", "-"), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["hits"][0]["archive_no"] == no
    # a number of an item that is not there finds nothing (not every item of the year)
    assert search(ws, no[:-4] + "0999") == []


def test_date_options(built):
    ws, numbers = built
    runner = CliRunner()
    base = ["--workspace", str(ws.root), "search", "危房"]
    reversed_ = runner.invoke(cli, base + ["--from", "2020-07-01", "--to", "2020-01-01"])
    assert reversed_.exit_code == 1 and "晚于" in reversed_.output
    chinese = runner.invoke(cli, base + ["--from", "2020年3月1日", "--to", "2020年3月31日", "--json"])
    assert chinese.exit_code == 0, chinese.output
    assert [hit["archive_no"] for hit in json.loads(chinese.output)["hits"]] == [numbers["minutes"]]
    outside = runner.invoke(cli, base + ["--from", "2020年4月1日", "--to", "2020年5月31日"])
    assert outside.exit_code == 0 and "没有找到" in outside.output


def test_ranking_documents_about_a_word_before_passing_mentions(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    archive = Archive(ws)
    about = tmp_path / "饮水.txt"
    about.write_text("三星村农村饮水安全巩固提升工作方案\n"
                     "为保障农村饮水安全，对全村饮水安全情况逐户排查。饮水安全问题台账实行销号管理，"
                     "饮水安全工程建成后由村委会管护。", encoding="utf-8")
    about_no = archive.add(about, title="农村饮水安全巩固提升工作方案", date="2020-05-01").item.archive_no
    passing = {}
    for path in corpus_files():
        if "饮水安全" in path.read_text(encoding="utf-8"):
            passing[path.name] = archive.add(path, title=header(path)["TITLE"], date="2019-01-01").item.archive_no
    assert passing  # the corpus mentions it in passing
    rebuild_index(ws)
    hits = nos(search(ws, "饮水安全", limit=50))
    assert hits[0] == about_no and set(hits) == {about_no, *passing.values()}


def test_unit_and_tag_filters_accept_either_script(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    note = tmp_path / "a.txt"
    note.write_text("饮水安全 入户核查记录", encoding="utf-8")
    Archive(ws).add(note, unit="张村", tags=("饮水",), date="2020-06-01")
    assert [h.unit for h in search(ws, "饮水", unit="張村")] == ["张村"]
    assert len(search(ws, "饮水", tags=("飲水",))) == 1
    assert search(ws, "饮水", unit="李村") == []


def _ranked_by_whoosh(searcher, query, filter_query, limit):
    """Whoosh's own scores of every match (no top-N pruning), best first, ties by
    document number: what the backend's candidate ranking must reproduce."""
    every = searcher.search(query, filter=filter_query, limit=None)
    ranked = sorted(((hit.docnum, round(hit.score, 9)) for hit in every), key=lambda pair: (-pair[1], pair[0]))
    return ranked[:limit], len(ranked)


QUERY_SHAPES = ["危房", "整改", "饮水安全", "脱贫攻坚 村", "脱贫攻坚", "两不愁三保障", '"整改一件、销号一件"',
                "整改 OR 销号", "脱贫 -医疗", "脫貧攻堅", "村", "危房 -村", "督查 OR 村", "消费扶贫", "2020"]


@pytest.mark.embedded  # Whoosh's own scores
@pytest.mark.parametrize("segments", [1, 3])
def test_candidates_are_ranked_by_whooshs_own_scores(copy, tmp_path, segments):
    """The candidates the ranking judges (whoosh_backend._best: every match scored
    from the posting blocks) are Whoosh's best by its own scorer, and their count is
    the number of matches, with and without filters, over one segment and over
    several (documents added one at a time, one replaced: a deleted posting)."""
    from fupin_docs.filing import file_document
    from fupin_docs.search import get_backend
    ws, numbers = copy
    for n in range(segments - 1):
        path = tmp_path / f"补充{n}.txt"
        path.write_text(f"三星村危房改造整改情况（第{n}批）\n危房改造整改销号，村级饮水安全督查。", encoding="utf-8")
        file_document(ws, path, kind="minutes", date="2020-08-0{}".format(n + 1))
    if segments > 1:
        Archive(ws).change(numbers["minutes"], reason="题名有误", title="三星村危房改造专题会议纪要（修订）")
    search(ws, "危房")  # brings the index in step
    with get_backend(ws)._reading() as searcher:
        _compare_with_whoosh(searcher)


def _compare_with_whoosh(searcher):
    from fupin_docs.search import Filters
    from fupin_docs.search import whoosh_backend as wb
    from fupin_docs.search.ranking import typed_only
    filters = [None, wb.build_filter(Filters(kind="minutes")),
               wb.build_filter(Filters(date_from="2015-01-01", date_to="2020-12-31"))]
    for text in QUERY_SHAPES:
        parsed = parse_query(text)
        for query in (wb.build_query(parsed)[0], wb.build_query(typed_only(parsed))[0]):
            for filter_query in filters:
                for limit in (3, 30):
                    expected, count = _ranked_by_whoosh(searcher, query, filter_query, limit)
                    hits, total, _ = wb._best(searcher, query, filter_query, limit)
                    got = [(hit.docnum, round(hit.score, 9)) for hit in hits]
                    assert got == expected, (text, filter_query, limit)
                    assert total == count == len(wb._matching(searcher, query, filter_query))


@pytest.mark.embedded  # Whoosh's stored fields
def test_stored_folded_text_is_what_a_query_folds(built):
    """Judging reads the folded text stored at index time; it must be exactly what
    folding the stored title, text and metadata gives (traditional script included)."""
    from fupin_docs.search import get_backend
    from fupin_docs.search import whoosh_backend as wb
    ws, numbers = built
    with get_backend(ws)._reading() as searcher:
        stored = list(searcher.all_stored_fields())
    folded = [fields for fields in stored if "norm" in fields]
    assert folded  # the traditional-script plan at least
    for fields in stored:
        joined = "\n".join(part for part in (fields.get("title"), fields.get("text"), fields.get("meta")) if part)
        assert wb._fields_text(fields) == normalize(joined)
        assert wb._fields_title(fields) == normalize(fields.get("title") or "")


def test_searches_from_many_threads_answer_as_one_thread_does(built):
    """Each query reads through a searcher of its own (taken from the backend's idle
    ones): threads searching at once get what one thread gets."""
    from concurrent.futures import ThreadPoolExecutor
    ws, numbers = built
    queries = QUERY_SHAPES * 4

    def answer(text):
        hits = search(ws, text, limit=10)
        return [(hit.archive_no, hit.score, hit.snippet, hit.match) for hit in hits], hits.total, hits.exact

    alone = [answer(text) for text in queries]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(answer, queries))
    assert together == alone
