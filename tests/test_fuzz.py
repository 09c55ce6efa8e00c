"""Fuzzing with hypothesis (issue 7, item 3).

(a) Random guides and schools that fit the formats either build or stop with a clean error
    (exit 1 or 2, `error:` lines only), never a crash.
(b) Random text in a field prints literally: extracted back from the PDF, it is what was typed.
(c) Random bytes or text as a YAML file never crash the loader: only InputError comes out.

Everything runs in process (the CLI through click's CliRunner, the pipeline directly), with
derandomized, modest example counts so the module is quick and gives the same result every run.
"""

from __future__ import annotations

import datetime
import itertools
import re
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pdfhelpers import cli_runner, contains_text, pdf_text, reader_of, working_dir

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ERROR_LINE = re.compile(r"^error: [^:\n]+(:\d+)?: \S")
_names = itertools.count()

# Hundreds of generated inputs per test: all of them are outside the quick subset.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scratch():
    """One folder for the whole module (hypothesis examples cannot use function fixtures)."""
    with tempfile.TemporaryDirectory(prefix="guidebuilder-fuzz-") as folder:
        yield Path(folder)


def fresh(scratch: Path, stem: str) -> Path:
    """A new, empty folder: every example gets its own files (loaders cache by path and mtime)."""
    folder = scratch / f"{stem}-{next(_names)}"
    folder.mkdir()
    return folder


def dump(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000), encoding="utf-8")
    return path


# ---- strategies over the formats ----------------------------------------------------------------

LATIN = string.ascii_letters + string.digits + " " * 8 + ".,;:!?'\"<>&*#%$@()[]/-_+=éüñçßøÅ"
# (b) compares text: characters Source Sans Pro has, and no Markdown markers (* [ ] ( )).
LITERAL = string.ascii_letters + string.digits + " " * 6 + ".,;:!?'\"<>&#%$@/-_+=~^{}|\\éüñçßøÅÉÖ€£"


def text(alphabet=LATIN, max_size=40):
    """Text with something printable in it (blank text is an input error, tested elsewhere)."""
    return st.text(alphabet, min_size=1, max_size=max_size).filter(lambda s: s.strip())


words = text(string.ascii_letters, 12)
colour = st.one_of(
    st.from_regex(r"\A#[0-9A-Fa-f]{6}\Z"), st.from_regex(r"\A#[0-9A-Fa-f]{3}\Z"),
    st.sampled_from(["red", "navy", "teal", "gold", "black", "white", "yellow", "darkgreen", "Crimson"]))
url = st.builds(lambda scheme, host, path: f"{scheme}://{host}.example.edu/{path}",
                st.sampled_from(["https", "http"]), st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z"),
                st.from_regex(r"\A[a-z0-9/_-]{0,30}\Z"))
a_date = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2099, 12, 31))


def optional(strategy):
    return st.one_of(st.none(), strategy)


def drop_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


@st.composite
def schools(draw):
    contact = drop_none({"office": draw(optional(text())), "phone": draw(optional(text(string.digits + " ()-+", 16))),
                         "email": draw(optional(st.emails())), "address": draw(optional(text())),
                         "website": draw(optional(url))})
    data = {
        "name": draw(text()),
        "short_name": draw(optional(text(max_size=15))),
        "tagline": draw(optional(text())),
        "colors": drop_none({"primary": draw(colour), "secondary": draw(optional(colour)),
                             "accent": draw(optional(colour))}),
        "contact": contact or None,
        "program": draw(optional(st.builds(lambda *v: drop_none(dict(zip(
            ("name", "length", "format", "cost", "next_start", "url"), v))),
            text(), optional(text(max_size=12)), optional(text()), optional(text(max_size=10)), optional(a_date),
            optional(url)))),
        "event": draw(optional(st.builds(lambda *v: drop_none(dict(zip(("name", "date", "location"), v))),
                                         text(), optional(a_date), optional(text())))),
        "page_size": draw(optional(st.sampled_from(["letter", "a4"]))),
        "logo": draw(optional(st.tuples(st.integers(1, 300), st.integers(1, 300)))),
    }
    return drop_none(data)


steps = st.lists(st.fixed_dictionaries({"title": text(), "text": text(max_size=80)}), min_size=3, max_size=5)


@st.composite
def blocks(draw):
    kind = draw(st.sampled_from(["paragraph", "paragraph", "bullets", "table", "callout", "steps"]))
    if kind == "paragraph":
        return draw(text(max_size=200))
    if kind == "bullets":
        return {"bullets": draw(st.lists(text(max_size=60), min_size=1, max_size=4))}
    if kind == "callout":
        return {"callout": drop_none({"title": draw(optional(text())), "text": draw(text(max_size=120))})}
    if kind == "steps":
        return {"steps": draw(st.lists(st.fixed_dictionaries({"title": text(), "text": text(max_size=60)}),
                                       min_size=1, max_size=4))}
    columns = draw(st.integers(1, 4))
    cell = text(LATIN.replace(" " * 8, " " * 3), 12)  # short words: long ones are a corpus case
    return {"table": {"columns": draw(st.lists(cell, min_size=columns, max_size=columns)),
                      "rows": draw(st.lists(st.lists(cell, min_size=columns, max_size=columns), min_size=1,
                                            max_size=3))}}


@st.composite
def guides(draw):
    source_ids = draw(st.lists(words, min_size=0, max_size=3, unique=True))
    sources = [drop_none({"id": sid, "title": draw(text()), "publisher": draw(optional(text())),
                          "url": draw(optional(url)),
                          "date": draw(optional(st.one_of(a_date.map(str), st.from_regex(r"\A20[0-9]{2}-(0[1-9]|1[0-2])\Z"))))})
               for sid in source_ids]
    facts = None
    if source_ids and draw(st.booleans()):
        facts = [{"value": draw(text(max_size=8)), "label": draw(text(max_size=30)),
                  "source": draw(st.sampled_from(source_ids))} for _ in range(draw(st.integers(2, 4)))]
    items = st.one_of(text(max_size=50), st.builds(lambda t, d: drop_none({"text": t, "detail": d}),
                                                     text(max_size=50), optional(text(max_size=60))))
    data = {
        "title": draw(text(max_size=50)),
        "subtitle": draw(optional(text(max_size=60))),
        "language": draw(optional(st.sampled_from(["en", "es", "fr-CA", "de"]))),
        "summary": draw(text(max_size=200)),
        "reviewed": draw(optional(a_date)),
        "key_facts": facts,
        "pathway": draw(optional(steps)),
        "sections": draw(st.lists(st.fixed_dictionaries({"heading": text(), "body": st.lists(blocks(), min_size=1,
                                                                                             max_size=3)}),
                                  min_size=1, max_size=3)),
        "checklist": drop_none({"title": draw(text()), "intro": draw(optional(text(max_size=80))),
                                "groups": draw(st.lists(st.fixed_dictionaries({"heading": text(),
                                                                               "items": st.lists(items, min_size=1,
                                                                                                 max_size=4)}),
                                                        min_size=1, max_size=3))}),
        "resources": draw(optional(st.lists(st.builds(lambda n, u, note: drop_none({"name": n, "url": u, "note": note}),
                                                      text(), url, optional(text())), max_size=3))),
        "sources": sources or None,
    }
    return drop_none(data)


def write_school(folder: Path, data: dict) -> Path:
    data = dict(data)
    size = data.pop("logo", None)
    if size is not None:
        from PIL import Image

        Image.new("RGB", size, (12, 90, 140)).save(folder / "logo.png")
        data["logo"] = "logo.png"
    return dump(folder / "school.yaml", data)


# ---- (a) valid-shaped input builds or fails cleanly -------------------------------------------------


@settings(FUZZ, max_examples=80)
@given(guide=guides(), school=schools())
def test_random_guides_and_schools_build_or_fail_cleanly(scratch, guide, school):
    from guidebuilder.cli import main

    folder = fresh(scratch, "build")
    guide_file = dump(folder / "guide.yaml", guide)
    school_file = write_school(folder, school)
    with working_dir(folder):
        result = cli_runner().invoke(main, ["build", "--guide", str(guide_file), "--school", str(school_file),
                                            "--out", "out"], catch_exceptions=True)
    assert isinstance(result.exception, (SystemExit, type(None))), (
        f"crash: {result.exception!r}\n{result.stderr}")
    assert "Traceback" not in result.stderr + result.stdout
    event(f"exit {result.exit_code}")  # shown by --hypothesis-show-statistics
    if result.exit_code == 0:
        pdfs = sorted((folder / "out").rglob("*.pdf"))
        assert len(pdfs) == 2, pdfs
        for pdf in pdfs:
            assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
        return
    assert result.exit_code in (1, 2), result.exit_code
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "a failure without a message"
    for line in lines:
        assert ERROR_LINE.match(line) or line.startswith("warning: "), line
    assert not list((folder / "out").rglob("*.pdf")) if (folder / "out").exists() else True


# ---- (b) any text prints literally -----------------------------------------------------------------

BASE_GUIDE = {
    "title": "Fuzz guide",
    "summary": "Opening paragraph.",
    "key_facts": [{"value": "1", "label": "first fact", "source": "src"},
                  {"value": "2", "label": "second fact", "source": "src"}],
    "sections": [{"heading": "Section", "body": ["Before.", {"bullets": ["A bullet."]}]}],
    "checklist": {"title": "Checklist", "groups": [{"heading": "Group", "items": ["Item."]}]},
    "sources": [{"id": "src", "title": "A source"}],
}
PLACES = {  # where the text goes, and the layout that prints it
    "paragraph": ("handout", lambda g, s, t: g["sections"][0]["body"].__setitem__(0, t)),
    "bullet": ("handout", lambda g, s, t: g["sections"][0]["body"][1]["bullets"].__setitem__(0, t)),
    "key-fact label": ("handout", lambda g, s, t: g["key_facts"][0].__setitem__("label", t)),
    "section heading": ("handout", lambda g, s, t: g["sections"][0].__setitem__("heading", t)),
    "school name": ("handout", lambda g, s, t: s.__setitem__("name", t)),
    "checklist item": ("checklist", lambda g, s, t: g["checklist"]["groups"][0]["items"].__setitem__(0, t)),
}


@pytest.mark.parametrize("place", list(PLACES))
@settings(FUZZ, max_examples=40)
@given(value=text(LITERAL, 60))
@example(value='<para>&amp; <font color="red">x</font> &lt;b&gt; "q" \'s\' {{ 1+1 }}')
@example(value="<![CDATA[ ]]> &#65; &nbsp; <br/> <!-- c --> %s {0} \\n")
def test_random_text_prints_literally(scratch, place, value):
    import copy

    from guidebuilder.pipeline import build_pdf, load_inputs

    folder = fresh(scratch, "literal")
    guide, school = copy.deepcopy(BASE_GUIDE), {"name": "Fuzz College", "colors": {"primary": "#0B4F6C"}}
    layout, put = PLACES[place]
    put(guide, school, value)
    dump(folder / "guide.yaml", guide)
    dump(folder / "school.yaml", school)
    with working_dir(folder):
        inputs = load_inputs(str(folder / "guide.yaml"), str(folder / "school.yaml"))
        pdf = build_pdf(inputs, layout)
    extracted = pdf_text(reader_of(pdf))
    assert contains_text(extracted, value.strip()), f"{value!r} is not in:\n{extracted}"


# ---- (c) random bytes never crash the loader ---------------------------------------------------------

YAMLISH = st.lists(st.sampled_from(["a", "b", "1", ": ", "- ", "\n", "  ", "\t", "[", "]", "{", "}", ",", "'", '"',
                                   "#", "&x ", "*x", "!!str ", "!!python/name:os.system ", "? ", "|", ">", "%YAML 1.1\n",
                                   "---\n", "...\n", "<<: *x", "\x00", "\x1b", "\ufeff", "é", "\u2028", "\\"]),
                   max_size=40).map("".join)


@settings(FUZZ, max_examples=1000)
@given(data=st.binary(max_size=200))
@example(data=b"\x89PNG\r\n\x1a\n\x00")
@example(data=b"\xff\xfe" + "a: b".encode("utf-16-le"))
def test_random_bytes_never_crash_load_yaml(scratch, data):
    from guidebuilder.errors import InputError
    from guidebuilder.load.yamlsource import load_yaml

    path = scratch / "bytes.yaml"
    path.write_bytes(data)
    try:
        load_yaml(path)
    except InputError as exc:
        assert exc.problems and str(exc).strip()


@settings(FUZZ, max_examples=1000)
@given(text_=st.one_of(YAMLISH, st.text(max_size=80)))
@example(text_="a: &x [1]\nb: *x\n<<: *x\n")
@example(text_="? [a, b]\n: c\n")
def test_random_text_never_crashes_parse_yaml(text_):
    from guidebuilder.errors import InputError
    from guidebuilder.load.yamlsource import parse_yaml

    try:
        parse_yaml(text_, Path("fuzz.yaml"))
    except InputError as exc:
        assert exc.problems and str(exc).strip()


@settings(FUZZ, max_examples=150)
@given(text_=st.one_of(YAMLISH, st.text(max_size=80)))
@example(text_="name: Test\x00College\n")
def test_every_loader_problem_is_one_line_with_file_and_line(text_):
    """Each problem prints as one `FILE:LINE: message` line, whatever the text."""
    from guidebuilder.errors import InputError
    from guidebuilder.load.yamlsource import parse_yaml

    try:
        parse_yaml(text_, Path("fuzz.yaml"))
    except InputError as exc:
        for problem in exc.problems:
            assert "\n" not in str(problem), str(problem)
            assert re.match(r"^fuzz\.yaml:\d+: \S", str(problem)), str(problem)
