"""The private internals of third-party libraries our code relies on still exist
with the shape we use.

pyproject.toml bounds each of these libraries below its next release line; these
tests say exactly what broke (and which file of ours to fix) when a bound is
raised or an unexpected version is installed. One test per reach-in.
"""

from __future__ import annotations

import inspect
import io
import os
import re

import pypdf
import pytest

pytestmark = pytest.mark.storage_free  # renders or reads inputs only: the county pass leaves it out


def need(obj, name: str, ours: str, what: str = ""):
    """OBJ.NAME, or a failure naming the missing private API and our file using it."""
    owner = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    module = getattr(obj, "__module__", None) or type(obj).__module__
    assert hasattr(obj, name), (
        f"{module}.{owner}.{name} is gone (installed version changed a private API); "
        f"used by {ours}{': ' + what if what else ''}")
    return getattr(obj, name)


def params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


# --- Whoosh: the parallel rebuild (src/fupin_docs/search/whoosh_backend.py) -----

BACKEND = "src/fupin_docs/search/whoosh_backend.py"


def test_whoosh_segment_writer_internals_build_an_index_from_segments(tmp_path):
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.writing import PostingPool, SegmentWriter

    # BuildWriter(SegmentWriter) overrides _flush_segment with the same steps as Whoosh's.
    flush = need(SegmentWriter, "_flush_segment", BACKEND, "BuildWriter overrides it")
    finalize = need(SegmentWriter, "_finalize_segment", BACKEND, "_build_segment returns its segment")
    assert "self._flush_segment()" in inspect.getsource(finalize), (
        f"SegmentWriter._finalize_segment no longer calls _flush_segment; {BACKEND} BuildWriter's override is dead")
    flush_source = inspect.getsource(flush)
    for step in ("perdocwriter.close()", "length_stats", "per_document_reader()", "pool.iter_postings()",
                 "fieldwriter.add_postings(", "fieldwriter.close()"):
        assert step in flush_source, (
            f"SegmentWriter._flush_segment no longer does {step!r}; {BACKEND} BuildWriter._flush_segment "
            "copies its steps and must follow")
    for name in ("_close_segment", "_commit_toc", "_finish"):
        need(SegmentWriter, name, BACKEND, "_parallel_build commits the workers' segments with it")
    assert {"_lk", "limitmb"} <= set(params(SegmentWriter.__init__)), (
        f"SegmentWriter(ix, _lk=..., limitmb=...) changed: {params(SegmentWriter.__init__)}; used by {BACKEND}")
    # LeanPool(PostingPool).add replaces PostingPool.add and uses its bookkeeping.
    add_source = inspect.getsource(PostingPool.add)
    for attr in ("fieldnames", "currentsize", "limit", "save()", "current.append"):
        assert attr in add_source, f"PostingPool.add no longer uses {attr!r}; {BACKEND} LeanPool.add mirrors it"

    schema = Schema(id=ID(stored=True, unique=True), body=TEXT(stored=True))
    ix = index.create_in(str(tmp_path), schema, indexname="t")
    segments = []
    for chunk in (("a1", "alpha beta"), ("b1", "beta gamma")), (("c1", "gamma delta"),):
        worker = SegmentWriter(index.open_dir(str(tmp_path), indexname="t"), _lk=False, limitmb=16)
        pool = worker.pool
        for attr in ("fieldnames", "currentsize", "limit", "current"):
            need(pool, attr, BACKEND, "LeanPool.add")
        for item_id, text in chunk:
            worker.add_document(id=item_id, body=text)
        assert isinstance(need(worker.codec, "length_stats", BACKEND, "BuildWriter._flush_segment"), bool)
        need(worker, "per_document_reader", BACKEND, "BuildWriter._flush_segment")
        need(worker, "perdocwriter", BACKEND, "BuildWriter._flush_segment")
        assert params(worker.fieldwriter.add_postings) == ["schema", "lengths", "items"], (
            f"FieldWriter.add_postings{inspect.signature(worker.fieldwriter.add_postings)} changed; "
            f"{BACKEND} BuildWriter._flush_segment calls add_postings(schema, lengths, postings)")
        segments.append(worker._finalize_segment())
    writer = ix.writer()
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()
    ix = index.open_dir(str(tmp_path), indexname="t")
    segs = need(ix, "_segments", BACKEND, "a small write merges once segments pile up")()
    assert len(segs) == 2, f"Index._segments() gave {segs!r}; used by {BACKEND}"
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 3
        assert sorted(hit["id"] for hit in searcher.documents()) == ["a1", "b1", "c1"]


def test_whoosh_field_index_protocol(tmp_path):
    """search/analysis.py: CountedText.index yields (term bytes, freq, weight, value bytes)
    itself, reading TEXT.format.field_boost, with whoosh.system.pack_uint for the value."""
    from whoosh.fields import TEXT
    from whoosh.system import pack_uint
    from whoosh.writing import SegmentWriter

    ours = "src/fupin_docs/search/analysis.py (CountedText.index)"
    field = TEXT(phrase=False)
    need(field.format, "field_boost", ours)
    produced = list(field.index("alpha alpha beta"))
    assert produced and all(len(item) == 4 and isinstance(item[0], bytes) for item in produced), (
        f"FieldType.index() no longer yields (bytes, freq, weight, value) tuples: {produced[:2]!r}; used by {ours}")
    assert "field.index(" in inspect.getsource(SegmentWriter.add_document), (
        f"SegmentWriter.add_document no longer calls field.index(); {ours} overrides it")
    assert isinstance(pack_uint(3), bytes)


# --- OpenCC (pure Python): chunked t2s (src/fupin_docs/search/normalize.py) ------

NORMALIZE = "src/fupin_docs/search/normalize.py (to_simplified, _load_tables)"


def test_opencc_convert_chunks_and_dictionaries():
    import opencc
    from opencc import OpenCC

    cc = OpenCC("t2s")
    cc.convert("")
    convert_chunk = need(cc, "_convert", NORMALIZE, "converts one separator-free chunk")
    chain = need(cc, "_dict_chain_data", NORMALIZE, "the loaded dictionary chain passed to _convert")
    assert isinstance(chain, list) and chain, f"OpenCC._dict_chain_data is {chain!r}; used by {NORMALIZE}"
    assert params(convert_chunk)[:2] == ["string", "dictionary"], (
        f"OpenCC._convert{inspect.signature(convert_chunk)} changed; {NORMALIZE} calls _convert(chunk, chain)")
    split = need(cc, "split_chars_re", NORMALIZE, "the separators convert() splits on")
    assert isinstance(split, re.Pattern) and split.groups >= 1, (
        f"OpenCC.split_chars_re no longer keeps separators (capturing group); used by {NORMALIZE}")
    text = "脫貧攻堅，鞏固成果。兩不愁三保障 與 飲水安全"
    parts = split.split(text)
    assert "".join(convert_chunk(p, chain) if i % 2 == 0 else p for i, p in enumerate(parts)) == \
        cc.convert(text) == "脱贫攻坚，巩固成果。两不愁三保障 与 饮水安全", (
            f"converting chunk by chunk with OpenCC._convert no longer equals convert(); {NORMALIZE} relies on it")

    folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    for name in ("TSPhrases.txt", "TSCharacters.txt"):
        path = os.path.join(folder, name)
        assert os.path.isfile(path), f"OpenCC dictionary {path} is gone; {NORMALIZE} reads it"
        with open(path, encoding="utf-8") as handle:
            lines = [line.rstrip("\n") for line, _ in zip(handle, range(50))]
        assert all("\t" in line for line in lines if line), (
            f"{path} is no longer 'key<TAB>value value…'; {NORMALIZE} parses it")
    with open(os.path.join(folder, "TSCharacters.txt"), encoding="utf-8") as handle:
        table = dict(line.rstrip("\n").split("\t")[:2] for line in handle if "\t" in line)
    assert table.get("貧", "").split(" ")[0] == "贫", f"TSCharacters.txt lost 貧→贫; {NORMALIZE} builds its table from it"


def test_opencc_conversions_by_config_name():
    """src/fupin_docs/inputs/script.py: OpenCC("t2s") / OpenCC("s2t") by config name."""
    from opencc import OpenCC

    ours = "src/fupin_docs/inputs/script.py"
    try:
        assert OpenCC("t2s").convert("覈實數據") in ("核实数据", "覈实数据"), ours
        assert OpenCC("s2t").convert("脱贫攻坚") == "脫貧攻堅", ours
    except (OSError, ValueError) as err:  # the config file layout changed
        pytest.fail(f"OpenCC('t2s'/'s2t') no longer loads ({err}); used by {ours}")


# --- python-docx: _element, _sectPr, Part._blob (src/fupin_docs/render/docx/) ----

BUILD = "src/fupin_docs/render/docx/build_template.py"


def test_python_docx_private_elements():
    import docx
    from docx.opc.part import Part

    document = docx.Document()
    section = document.sections[0]
    footer = need(section.footer, "_element", f"{BUILD} (_footer) and render/docx/finish.py (hints)")
    assert footer.tag.endswith("}ftr"), f"_Footer._element is {footer.tag}, not w:ftr; used by {BUILD}"
    sect = need(section, "_sectPr", f"{BUILD} (_section)")
    assert sect.tag.endswith("}sectPr"), f"Section._sectPr is {sect.tag}; used by {BUILD}"
    themes = [part for part in document.part.package.iter_parts()
              if str(part.partname).startswith("/word/theme/")]
    assert themes, f"the default template has no theme part; {BUILD} (_theme_fonts) edits it"
    theme = themes[0]
    assert type(theme).blob is Part.blob and "_blob" in vars(theme), (
        f"the theme Part no longer keeps its bytes in Part._blob; {BUILD} (_theme_fonts) and "
        "render/docx/ooxml.py (set_font_table) rewrite them there")
    theme._blob = re.sub(rb'<a:latin typeface="[^"]*"', b'<a:latin typeface="FupinTestFace"', theme.blob, count=1)
    out = io.BytesIO()
    document.save(out)
    out.seek(0)
    saved = [part.blob for part in docx.Document(out).part.package.iter_parts()
             if str(part.partname).startswith("/word/theme/")]
    assert saved and b"FupinTestFace" in saved[0], (
        f"bytes set on Part._blob are no longer what python-docx saves; {BUILD} (_theme_fonts) relies on it")


# --- Jinja: the sandbox's loop bound (src/fupin_docs/render/docx/render.py) ----------

SANDBOX = "src/fupin_docs/render/docx/render.py"


def test_jinja_code_generator_hooks_the_sandbox_relies_on():
    import jinja2
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.utils import Namespace

    assert hasattr(CodeGenerator, "visit_For"), f"CodeGenerator.visit_For is gone; {SANDBOX} (_BoundedLoops) overrides it"
    assert "code_generator_class" in vars(jinja2.Environment), (
        f"Environment.code_generator_class is gone; {SANDBOX} (_Sandbox) sets it to bound every loop")
    assert hasattr(nodes, "EnvironmentAttribute"), f"nodes.EnvironmentAttribute is gone; {SANDBOX} calls bounded_iter"
    assert callable(getattr(Namespace, "__setitem__", None)), f"Namespace.__setitem__ is gone; {SANDBOX} (_Namespace)"
    from fupin_docs.render.docx.render import sandbox
    env = sandbox()
    assert isinstance(env, ImmutableSandboxedEnvironment)
    # the hook works end to end: a loop past the bound is stopped, not run
    with pytest.raises(jinja2.sandbox.SecurityError):
        env.from_string("{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}").render()


# --- WeasyPrint: the OFD writer follows the PDF's own drawing (render/ofd/capture.py) -----

OFD_CAPTURE = "src/fupin_docs/render/ofd/capture.py"


def test_weasyprint_stream_records_operators_and_fonts():
    import pydyf
    from weasyprint import HTML
    from weasyprint.pdf.stream import Stream

    assert params(Stream.__init__)[1:8] == ["fonts", "page_rectangle", "resources", "images", "tags",
                                            "color_profiles", "output_intent"], (
        f"weasyprint.pdf.stream.Stream's constructor changed: {params(Stream.__init__)}; used by {OFD_CAPTURE}")
    assert "compress" in params(pydyf.Stream.__init__), (  # passed on through Stream's **kwargs
        f"pydyf.Stream(compress=) is gone; used by {OFD_CAPTURE}")
    page = HTML(string="<p style='font-size:16pt'>脱贫攻坚 2020</p>").render().pages[0]
    fonts: dict = {}
    resources = pydyf.Dictionary({name: pydyf.Dictionary() for name in
                                  ("ExtGState", "XObject", "Pattern", "Shading", "ColorSpace")})
    stream = Stream(fonts, (0, 0, page.width, page.height), resources, {}, None, {}, None, compress=False)
    page.paint(stream, 0.75)
    operators = need(stream, "stream", OFD_CAPTURE, "the recorded drawing operators it interprets")
    assert isinstance(operators, list) and any(b"Tf" in bytes(op) if isinstance(op, (bytes, bytearray)) else
                                               "Tf" in str(op) for op in operators), (
        f"Stream.stream no longer lists the text operators; {OFD_CAPTURE} reads them")
    assert fonts, f"Stream no longer collects the fonts it draws with; {OFD_CAPTURE} embeds them"
    font = next(iter(fonts.values()))
    for name in ("hash", "file_content", "index", "widths", "to_unicode", "bitmap", "family"):
        need(font, name, OFD_CAPTURE, "a face's glyphs, widths and Unicode for the OFD's embedded font")
    assert font.widths and font.to_unicode, f"painting no longer fills Font.widths/to_unicode; used by {OFD_CAPTURE}"
