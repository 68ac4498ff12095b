"""OFD renditions (GB/T 33190-2016), read back the way a reader would: the zip
unpacked, every XML part parsed and validated against a schema written from
the standard's text, the embedded faces opened with fontTools, and every text
run's words and position compared with the PDF written from the same layout
(read back with pypdf and pdftotext, never from our own code)."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from lxml import etree

from fupin_docs.cli.main import cli
from fupin_docs.compose import compose
from fupin_docs.compose.tree import Signature
from fupin_docs.inputs import load_document
from fupin_docs.render.ofd import render_ofd
from fupin_docs.workspace.config import Config
import layout_standard as S

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
NS = {"ofd": "http://www.ofdspec.org/2016"}
MM_PER_PT = 25.4 / 72
TOLERANCE_MM = 0.5
CONFIG = Config()
# 号 sizes (GB/T 9704 §5.2.2, §7) in mm, from tests/layout_standard.py's pt.
SANHAO_MM = S.SANHAO_PT * MM_PER_PT
ERHAO_MM = S.ERHAO_PT * MM_PER_PT
SIHAO_MM = S.SIHAO_PT * MM_PER_PT
INDENT_2_MM = S.LEFT_MM + 2 * S.TEXT_WIDTH_MM / S.CHARS_PER_LINE  # 正文 first line: 2 字 in


# --- reading an OFD back ------------------------------------------------------------


@dataclass
class Run:
    page: int
    text: str
    x: float  # mm, first character's origin, from the page's top-left corner
    y: float  # mm, baseline
    size: float  # mm
    color: tuple
    font: str
    xs: list  # every character's x (mm)


def ofd_parts(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def ofd_document(parts: dict):
    """(Document.xml path, its tree) through OFD.xml's DocRoot, as a reader finds it."""
    root = etree.fromstring(parts["OFD.xml"])
    doc_root = root.findtext("ofd:DocBody/ofd:DocRoot", namespaces=NS)
    return doc_root, etree.fromstring(parts[doc_root])


def _delta(text: str) -> list[float]:
    """DeltaX with its 'g N v' shorthand expanded (GB/T 33190 §11.3)."""
    tokens, out, i = text.split(), [], 0
    while i < len(tokens):
        if tokens[i] == "g":
            out += [float(tokens[i + 2])] * int(tokens[i + 1])
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def ofd_runs(parts: dict) -> tuple[int, list[Run]]:
    doc_root, document = ofd_document(parts)
    base = doc_root.rsplit("/", 1)[0]
    pages = document.findall("ofd:Pages/ofd:Page", NS)
    runs = []
    for number, page in enumerate(pages, 1):
        content = etree.fromstring(parts[f"{base}/{page.get('BaseLoc')}"])
        for obj in content.iter(f"{{{NS['ofd']}}}TextObject"):
            bx, by, _w, _h = (float(v) for v in obj.get("Boundary").split())
            color = obj.find("ofd:FillColor", NS)
            for code in obj.findall("ofd:TextCode", NS):
                x0 = bx + float(code.get("X"))
                xs = [x0]
                for step in _delta(code.get("DeltaX", "")):
                    xs.append(xs[-1] + step)
                assert len(xs) == len(code.text), (code.text, code.get("DeltaX"))
                runs.append(Run(number, code.text, x0, by + float(code.get("Y")), float(obj.get("Size")),
                                tuple(int(v) for v in color.get("Value").split()) if color is not None else (0, 0, 0),
                                obj.get("Font"), xs))
    return len(pages), runs


# --- reading the PDF back -------------------------------------------------------------


def pdf_runs(path: Path) -> list[tuple[int, str, float, float]]:
    """(page, text, x mm, baseline y mm from the top) of every text chunk pypdf reads."""
    reader = pypdf.PdfReader(str(path))
    out = []
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)

        def visit(text, cm, tm, _font, _size, number=number, height=height):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                out.append((number, text.strip(), x * MM_PER_PT, (height - y) * MM_PER_PT))

        page.extract_text(visitor_text=visit)
    return out


def pdf_page_count(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def pdftotext_page(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Each example as OFD and PDF from one layout (render_ofd with pdf_target)."""
    out = tmp_path_factory.mktemp("ofd")
    results = {}
    for example in EXAMPLES:
        model = load_document(example)
        doc = compose(model, CONFIG)
        ofd, pdf = out / f"{example.stem}.ofd", out / f"{example.stem}.pdf"
        render_ofd(doc, ofd, config=CONFIG, pdf_target=pdf)
        parts = ofd_parts(ofd)
        pages, runs = ofd_runs(parts)
        results[example.stem] = dict(model=model, doc=doc, ofd=ofd, pdf=pdf, parts=parts, pages=pages, runs=runs)
    return results


IDS = [p.stem for p in EXAMPLES]


def signature_texts(doc) -> set[str]:
    """The 署名 and 成文日期 lines the composed document asks for (§7.3.5)."""
    return {text for block in doc.blocks if isinstance(block, Signature) for text in (block.issuer, block.date)}


def kind_of(run: Run, model, doc) -> str | None:
    """Which GB/T 9704 element a text run is, from the standard's sizes and the input's own words."""
    text = run.text.strip()
    if re.fullmatch(r"—\s*\d+\s*—", text):
        return "page number"
    if model.doc_number and text == model.doc_number:
        return "发文字号"
    if abs(run.size - ERHAO_MM) < 0.05 and run.color == (0, 0, 0):
        return "title"
    if abs(run.size - SIHAO_MM) < 0.05:
        return "版记"
    if abs(run.size - SANHAO_MM) < 0.05:
        if text in signature_texts(doc):
            return "署名/成文日期"
        if text.endswith("：") and abs(run.x - S.LEFT_MM) < 0.5 and "主送" not in text and run.page == 1:
            return "主送"
        if re.match(r"[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）", text) and abs(run.x - INDENT_2_MM) < 0.5:
            return "heading"
        if abs(run.x - INDENT_2_MM) < 0.5:
            return "body first line"
    return None


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_ofd_has_the_pdfs_pages_and_words_page_by_page(rendered, stem):
    r = rendered[stem]
    assert r["pages"] == pdf_page_count(r["pdf"]) > 0
    for page in range(1, r["pages"] + 1):
        ofd_text = squash("".join(run.text for run in r["runs"] if run.page == page))
        assert ofd_text == squash(pdftotext_page(r["pdf"], page)), f"page {page}"


@pytest.mark.parametrize("stem", IDS)
def test_every_text_run_sits_where_the_pdf_has_it(rendered, stem):
    r = rendered[stem]
    theirs = pdf_runs(r["pdf"])
    ours = [run for run in r["runs"] if run.text.strip()]
    assert "".join(squash(t) for _, t, _, _ in theirs) == "".join(squash(run.text) for run in ours)
    worst = {}
    # pypdf reads a line's runs as one chunk where they share a baseline: each
    # chunk is compared with our run that starts it; the runs after it within
    # the chunk, by their characters' x against pdftotext's words (below).
    index = 0
    for page, text, x, y in theirs:
        run = ours[index]
        assert run.page == page and squash(text).startswith(squash(run.text)), (text, run.text)
        taken = squash(run.text)
        index += 1
        while taken != squash(text):
            assert abs(ours[index].y - run.y) < 0.01, (text, taken)
            taken += squash(ours[index].text)
            index += 1
        kind = kind_of(run, r["model"], r["doc"]) or "other"
        worst[kind] = max(worst.get(kind, 0.0), abs(run.x - x), abs(run.y - y))
    assert index == len(ours)
    print(stem, {k: round(v, 4) for k, v in sorted(worst.items())})
    assert all(value <= TOLERANCE_MM for value in worst.values()), worst
    # The elements every one of these 公文 has were found (the classification is not vacuous).
    wanted = {"title", "page number", "body first line"} | ({"署名/成文日期"} if signature_texts(r["doc"]) else set())
    assert wanted <= set(worst), sorted(worst)


def test_each_element_kind_is_compared_across_the_four_examples(rendered):
    kinds = set()
    for stem in IDS:
        r = rendered[stem]
        kinds |= {kind_of(run, r["model"], r["doc"]) for run in r["runs"]}
    assert {"title", "发文字号", "主送", "body first line", "heading", "署名/成文日期", "page number",
            "版记"} <= kinds, sorted(k for k in kinds if k)


def test_characters_advance_as_in_the_pdf(rendered):
    """Every character's x, not only a run's first: pdftotext's word boxes of a
    line start where our DeltaX puts the first character of each word."""
    r = rendered[IDS[0]]
    xml = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", "-f", "1", "-l", "1", str(r["pdf"]), "-"],
                         capture_output=True, text=True, check=True).stdout
    words = [(float(m.group(1)) * MM_PER_PT, m.group(2)) for m in
             re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', xml)]
    starts = [(x, run) for run in r["runs"] if run.page == 1 for x in run.xs]
    checked = 0
    for x, word in words:
        if not word.strip():
            continue
        nearest = min(abs(ours - x) for ours, _ in starts)
        assert nearest <= TOLERANCE_MM, (word, x)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("stem", IDS)
def test_the_issuers_mark_and_the_separator_line_are_red(rendered, stem):
    r = rendered[stem]
    first = [run for run in r["runs"] if run.page == 1]
    mark = max(first, key=lambda run: run.size)  # 发文机关标志: the largest type on page 1
    assert mark.color[0] >= 200 and mark.color[1] <= 60 and mark.color[2] <= 60, mark
    parts = r["parts"]
    doc_root, document = ofd_document(parts)
    first_page = document.find("ofd:Pages/ofd:Page", NS).get("BaseLoc")
    content = etree.fromstring(parts[f"{doc_root.rsplit('/', 1)[0]}/{first_page}"])
    red_rules = []
    for path in content.iter(f"{{{NS['ofd']}}}PathObject"):
        x, y, w, h = (float(v) for v in path.get("Boundary").split())
        color = path.find("ofd:FillColor", NS)
        if color is None:
            color = path.find("ofd:StrokeColor", NS)
        red, green, blue = (int(v) for v in color.get("Value").split())
        if red >= 200 and green <= 60 and blue <= 60 and w > 100:
            red_rules.append((x, y, w, h))
    # The red separator: as wide as the 版心 (156 mm from 28 mm), below the 标志.
    assert any(abs(x - S.LEFT_MM) < 0.1 and abs(w - S.TEXT_WIDTH_MM) < 0.1 and y > mark.y for x, y, w, h in red_rules), \
        red_rules


@pytest.mark.parametrize("stem", IDS)
def test_pages_are_a4_in_millimetres(rendered, stem):
    parts = rendered[stem]["parts"]
    _, document = ofd_document(parts)
    box = [float(v) for v in document.findtext("ofd:CommonData/ofd:PageArea/ofd:PhysicalBox", namespaces=NS).split()]
    assert box == pytest.approx([0, 0, S.PAGE_WIDTH_MM, S.PAGE_HEIGHT_MM], abs=0.01)


@pytest.mark.parametrize("stem", IDS)
def test_fonts_are_embedded_and_hold_every_character_drawn(rendered, stem):
    r = rendered[stem]
    parts = r["parts"]
    doc_root, document = ofd_document(parts)
    base = doc_root.rsplit("/", 1)[0]
    used: dict[str, set] = {}
    for run in r["runs"]:
        used.setdefault(run.font, set()).update(ch for ch in run.text if not ch.isspace())
    fonts = {}
    for res_name in document.findall("ofd:CommonData/ofd:PublicRes", NS) + \
            document.findall("ofd:CommonData/ofd:DocumentRes", NS):
        res = etree.fromstring(parts[f"{base}/{res_name.text}"])
        for font in res.findall("ofd:Fonts/ofd:Font", NS):
            fonts[font.get("ID")] = f"{base}/{res.get('BaseLoc')}/{font.findtext('ofd:FontFile', namespaces=NS)}"
    assert set(used) <= set(fonts)
    for font_id, chars in used.items():
        face = TTFont(io.BytesIO(parts[fonts[font_id]]))
        cmap = face.getBestCmap()
        missing = [ch for ch in chars if ord(ch) not in cmap]
        assert not missing, (font_id, missing)
        glyphs = face.getGlyphSet()
        for ch in chars:
            if ch.isspace():
                continue
            from fontTools.pens.boundsPen import BoundsPen
            pen = BoundsPen(glyphs)
            glyphs[cmap[ord(ch)]].draw(pen)
            assert pen.bounds is not None, (font_id, ch)  # the glyph has an outline, not an empty box


@pytest.mark.parametrize("stem", IDS)
def test_docinfo_carries_the_documents_metadata(rendered, stem):
    r = rendered[stem]
    model = r["model"]
    root = etree.fromstring(r["parts"]["OFD.xml"])
    assert root.get("Version") == "1.0" and root.get("DocType") == "OFD"
    info = root.find("ofd:DocBody/ofd:DocInfo", NS)
    assert len(info.findtext("ofd:DocID", namespaces=NS)) == 32
    assert info.findtext("ofd:Title", namespaces=NS) == r["doc"].title
    assert info.findtext("ofd:CreationDate", namespaces=NS) == model.date.isoformat()
    custom = {c.get("Name"): c.text for c in info.findall("ofd:CustomDatas/ofd:CustomData", NS)}
    assert custom["成文日期"] == model.date.isoformat()
    assert custom["标题"] == r["doc"].title
    if model.doc_number:
        assert custom["发文字号"] == model.doc_number
    assert custom["发文机关"] == info.findtext("ofd:Author", namespaces=NS) == r["doc"].metadata["issuer"]
    # The 发文机关 is the one the page prints (in its 标志 or 署名).
    assert any(custom["发文机关"] in run.text for run in r["runs"])


# A schema for the parts we write, from GB/T 33190-2016's text (§7.4 OFD.xml and
# CT_DocInfo, §7.5 Document.xml/CT_CommonData, §7.9 resources/CT_Font, §7.7 page,
# §8 graphic units, §9.1 CT_Path, §11 CT_Text/TextCode, §8.3 colours).
SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://www.ofdspec.org/2016"
           targetNamespace="http://www.ofdspec.org/2016" elementFormDefault="qualified">
  <xs:simpleType name="ST_Box"><xs:restriction base="xs:string">
    <xs:pattern value="-?\\d+(\\.\\d+)? -?\\d+(\\.\\d+)? \\d+(\\.\\d+)? \\d+(\\.\\d+)?"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="ST_ID"><xs:restriction base="xs:positiveInteger"/></xs:simpleType>
  <xs:simpleType name="ST_Array"><xs:restriction base="xs:string">
    <xs:pattern value="(g \\d+ )?-?\\d+(\\.\\d+)?( (g \\d+ )?-?\\d+(\\.\\d+)?)*"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="ST_Color"><xs:restriction base="xs:string">
    <xs:pattern value="\\d{1,3} \\d{1,3} \\d{1,3}"/></xs:restriction></xs:simpleType>
  <xs:complexType name="CT_Color"><xs:attribute name="Value" type="ST_Color"/></xs:complexType>
  <xs:complexType name="CT_DocInfo"><xs:sequence>
    <xs:element name="DocID" type="xs:string"/>
    <xs:element name="Title" type="xs:string" minOccurs="0"/>
    <xs:element name="Author" type="xs:string" minOccurs="0"/>
    <xs:element name="Subject" type="xs:string" minOccurs="0"/>
    <xs:element name="Abstract" type="xs:string" minOccurs="0"/>
    <xs:element name="CreationDate" type="xs:date" minOccurs="0"/>
    <xs:element name="ModDate" type="xs:date" minOccurs="0"/>
    <xs:element name="DocUsage" type="xs:string" minOccurs="0"/>
    <xs:element name="Cover" type="xs:string" minOccurs="0"/>
    <xs:element name="Keywords" minOccurs="0"/>
    <xs:element name="Creator" type="xs:string" minOccurs="0"/>
    <xs:element name="CreatorVersion" type="xs:string" minOccurs="0"/>
    <xs:element name="CustomDatas" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="CustomData" maxOccurs="unbounded"><xs:complexType><xs:simpleContent>
        <xs:extension base="xs:string"><xs:attribute name="Name" type="xs:string" use="required"/></xs:extension>
      </xs:simpleContent></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType>
  <xs:element name="OFD"><xs:complexType><xs:sequence>
    <xs:element name="DocBody" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="DocInfo" type="CT_DocInfo"/>
      <xs:element name="DocRoot" type="xs:string"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence>
  <xs:attribute name="Version" type="xs:string" use="required" fixed="1.0"/>
  <xs:attribute name="DocType" type="xs:string" use="required" fixed="OFD"/></xs:complexType></xs:element>
  <xs:complexType name="CT_PageArea"><xs:sequence>
    <xs:element name="PhysicalBox" type="ST_Box"/>
  </xs:sequence></xs:complexType>
  <xs:element name="Document"><xs:complexType><xs:sequence>
    <xs:element name="CommonData"><xs:complexType><xs:sequence>
      <xs:element name="MaxUnitID" type="ST_ID"/>
      <xs:element name="PageArea" type="CT_PageArea"/>
      <xs:element name="PublicRes" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="DocumentRes" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Pages"><xs:complexType><xs:sequence>
      <xs:element name="Page" maxOccurs="unbounded"><xs:complexType>
        <xs:attribute name="ID" type="ST_ID" use="required"/>
        <xs:attribute name="BaseLoc" type="xs:string" use="required"/></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="Res"><xs:complexType><xs:sequence>
    <xs:element name="Fonts" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="Font" maxOccurs="unbounded"><xs:complexType><xs:sequence>
        <xs:element name="FontFile" type="xs:string" minOccurs="0"/></xs:sequence>
        <xs:attribute name="ID" type="ST_ID" use="required"/>
        <xs:attribute name="FontName" type="xs:string" use="required"/>
        <xs:attribute name="FamilyName" type="xs:string"/></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence><xs:attribute name="BaseLoc" type="xs:string" use="required"/></xs:complexType></xs:element>
  <xs:complexType name="CT_Text"><xs:sequence>
    <xs:element name="FillColor" type="CT_Color" minOccurs="0"/>
    <xs:element name="StrokeColor" type="CT_Color" minOccurs="0"/>
    <xs:element name="TextCode" maxOccurs="unbounded"><xs:complexType><xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="X" type="xs:double" use="required"/>
        <xs:attribute name="Y" type="xs:double" use="required"/>
        <xs:attribute name="DeltaX" type="ST_Array"/>
        <xs:attribute name="DeltaY" type="ST_Array"/>
      </xs:extension></xs:simpleContent></xs:complexType></xs:element>
  </xs:sequence>
  <xs:attribute name="ID" type="ST_ID" use="required"/>
  <xs:attribute name="Boundary" type="ST_Box" use="required"/>
  <xs:attribute name="Font" type="ST_ID" use="required"/>
  <xs:attribute name="Size" type="xs:double" use="required"/></xs:complexType>
  <xs:complexType name="CT_Path"><xs:sequence>
    <xs:element name="StrokeColor" type="CT_Color" minOccurs="0"/>
    <xs:element name="FillColor" type="CT_Color" minOccurs="0"/>
    <xs:element name="AbbreviatedData"><xs:simpleType><xs:restriction base="xs:string">
      <xs:pattern value="M -?[\\d.]+ -?[\\d.]+( (M|L) -?[\\d.]+ -?[\\d.]+| B( -?[\\d.]+ -?[\\d.]+){3}| C)*"/>
    </xs:restriction></xs:simpleType></xs:element>
  </xs:sequence>
  <xs:attribute name="ID" type="ST_ID" use="required"/>
  <xs:attribute name="Boundary" type="ST_Box" use="required"/>
  <xs:attribute name="LineWidth" type="xs:double"/>
  <xs:attribute name="Stroke" type="xs:boolean"/>
  <xs:attribute name="Fill" type="xs:boolean"/>
  <xs:attribute name="Rule"><xs:simpleType><xs:restriction base="xs:string">
    <xs:enumeration value="NonZero"/><xs:enumeration value="Even-Odd"/></xs:restriction></xs:simpleType></xs:attribute>
  </xs:complexType>
  <xs:element name="Page"><xs:complexType><xs:sequence>
    <xs:element name="Area" type="CT_PageArea" minOccurs="0"/>
    <xs:element name="Content"><xs:complexType><xs:sequence>
      <xs:element name="Layer" maxOccurs="unbounded"><xs:complexType><xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element name="TextObject" type="CT_Text"/>
        <xs:element name="PathObject" type="CT_Path"/>
      </xs:choice>
      <xs:attribute name="ID" type="ST_ID" use="required"/>
      <xs:attribute name="Type"><xs:simpleType><xs:restriction base="xs:string">
        <xs:enumeration value="Body"/><xs:enumeration value="Background"/><xs:enumeration value="Foreground"/>
        <xs:enumeration value="Custom"/></xs:restriction></xs:simpleType></xs:attribute>
      </xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


@pytest.mark.parametrize("stem", IDS)
def test_every_xml_part_is_valid_against_the_standards_structure(rendered, stem):
    schema = etree.XMLSchema(etree.fromstring(SCHEMA.encode()))
    parts = rendered[stem]["parts"]
    xml_parts = [name for name in parts if name.endswith(".xml")]
    assert "OFD.xml" in xml_parts and any(name.endswith("Content.xml") for name in xml_parts)
    ids = []
    for name in xml_parts:
        tree = etree.fromstring(parts[name])
        assert tree.nsmap.get("ofd") == NS["ofd"], name
        assert schema.validate(tree), (name, schema.error_log.last_error)
        ids += [int(e.get("ID")) for e in tree.iter() if e.get("ID") and etree.QName(e).localname != "Page"]
    # IDs are unique in the document and none is above MaxUnitID (§7.5).
    _, document = ofd_document(parts)
    page_ids = [int(p.get("ID")) for p in document.findall("ofd:Pages/ofd:Page", NS)]
    assert len(set(ids + page_ids)) == len(ids) + len(page_ids)
    assert max(ids + page_ids) <= int(document.findtext("ofd:CommonData/ofd:MaxUnitID", namespaces=NS))


def test_schema_rejects_what_the_standard_does_not_allow():
    """The schema above can fail: a TextObject without its Font, a DocInfo out of order."""
    schema = etree.XMLSchema(etree.fromstring(SCHEMA.encode()))
    page = etree.fromstring(
        b'<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">'
        b'<ofd:TextObject ID="2" Boundary="0 0 1 1" Size="5"><ofd:TextCode X="0" Y="1">x</ofd:TextCode>'
        b'</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')
    assert not schema.validate(page)
    info = etree.fromstring(
        b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody>'
        b'<ofd:DocInfo><ofd:Title>t</ofd:Title><ofd:DocID>x</ofd:DocID></ofd:DocInfo>'
        b'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    assert not schema.validate(info)


def test_render_command_writes_ofd_alone_or_beside_the_pdf(tmp_path):
    example = EXAMPLES[0]
    runner = CliRunner()
    alone = runner.invoke(cli, ["--workspace", str(tmp_path), "render", str(example), "-f", "ofd",
                                "-o", str(tmp_path / "a")], catch_exceptions=False)
    assert alone.exit_code == 0, alone.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [f"{example.stem}.ofd"]
    both = runner.invoke(cli, ["--workspace", str(tmp_path), "render", str(example), "-f", "docx,pdf,ofd",
                               "-o", str(tmp_path / "b"), "--json"], catch_exceptions=False)
    assert both.exit_code == 0, both.output
    assert sorted(p.suffix for p in (tmp_path / "b").iterdir()) == [".docx", ".ofd", ".pdf"]
    pages, runs = ofd_runs(ofd_parts(tmp_path / "b" / f"{example.stem}.ofd"))
    pdf = tmp_path / "b" / f"{example.stem}.pdf"
    assert pages == pdf_page_count(pdf)
    assert squash("".join(run.text for run in runs)) == squash(
        "".join(pdftotext_page(pdf, page) for page in range(1, pages + 1)))
    # The same document gives the same OFD bytes (an archive does not file it twice).
    assert (tmp_path / "a" / f"{example.stem}.ofd").read_bytes() == (tmp_path / "b" / f"{example.stem}.ofd").read_bytes()


def test_an_unknown_format_is_refused_in_chinese(tmp_path):
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "render", str(EXAMPLES[0]), "-f", "odt",
                                      "-o", str(tmp_path)])
    assert result.exit_code != 0
    assert "ofd" in result.output and "不支持的输出格式" in result.output


def test_kept_outlines_give_the_same_faces_as_converting_afresh(rendered, tmp_path):
    """The per-machine cache of converted outlines (a real SQLite file here):
    a face built from a cold cache, from a warm one and with none are the same
    bytes, and the warm one found every glyph in the cache."""
    from fupin_docs.render.ofd.capture import TextRun, capture_pages
    from fupin_docs.render.ofd.fonts import GlyphCache, subset_face
    from fupin_docs.render.pdf import renderer
    from fupin_docs.render.pdf.fonts import require_faces

    doc = rendered[IDS[0]]["doc"]
    layout, _ = renderer._settled(doc, require_faces(CONFIG.fonts), False)
    pages, fonts = capture_pages(layout)
    runs = [item for page in pages for item in page.items if isinstance(item, TextRun)]
    body = max(fonts.values(), key=lambda f: sum(len(r.glyphs) for r in runs if r.font is f))
    glyphs = [g for r in runs if r.font is body for g in r.glyphs]
    gids = {g.gid for g in glyphs}
    chars = "".join(sorted({ch for g in glyphs for ch in g.text}))
    glyph_of = {g.text: g.gid for g in glyphs if len(g.text) == 1}
    cache = GlyphCache(tmp_path / "glyphs.sqlite3")
    fresh = subset_face(body, gids, chars, glyph_of)
    cold = subset_face(body, gids, chars, glyph_of, cache)
    assert (tmp_path / "glyphs.sqlite3").stat().st_size > 0
    warm = subset_face(body, gids, chars, glyph_of, cache)
    assert fresh.data == cold.data == warm.data
    face = TTFont(io.BytesIO(warm.data))
    assert len(face.getGlyphOrder()) > len(chars) // 2 and "glyf" in face and "CFF " not in face
    import sqlite3

    kept = sqlite3.connect(str(tmp_path / "glyphs.sqlite3")).execute("SELECT count(*) FROM glyphs").fetchone()[0]
    assert kept == len(face.getGlyphOrder())  # every glyph of the face came from the cache the second time


def test_writing_the_ofd_leaves_the_pdf_byte_for_byte_as_it_was(tmp_path):
    from fupin_docs.render.ofd import OfdWriter
    from fupin_docs.render.pdf import render_pdf

    doc = compose(load_document(EXAMPLES[1]), CONFIG)
    render_pdf(doc, tmp_path / "alone.pdf", config=CONFIG)
    render_pdf(doc, tmp_path / "beside.pdf", config=CONFIG, renditions=(OfdWriter(tmp_path / "beside.ofd"),))
    assert (tmp_path / "beside.ofd").stat().st_size > 0
    assert (tmp_path / "alone.pdf").read_bytes() == (tmp_path / "beside.pdf").read_bytes()
