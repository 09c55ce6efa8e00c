"""More fuzzing (issue 11, deliver 7): layouts, SVG logos, rosters and cache files.

The contract, for every input: it builds, or it stops with a clear InputError or BuildError whose
every line reads `FILE[:LINE]: message`; never another exception, never a hang (each example runs
under an alarm). The style and settings are those of test_fuzz.py: derandomized, no example
database. The quick profiles run in the normal suite (a few seconds in all); the big ones are
marked slow (`pytest -m slow tests/test_fuzz_more.py`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pdfhelpers import REPO, working_dir

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
QUICK, BIG = 1, 10   # example counts: quick profile x1, slow profile x10
PROBLEM_LINE = re.compile(r"^[^:\n]+(:\d+)?: \S")
HANG_SECONDS = 30    # one example (a build of a one-page document) takes well under a second
_names = itertools.count()


def note(what: str) -> None:
    """A hypothesis event (shown by --hypothesis-show-statistics); nothing outside a fuzz test."""
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        event(what)


class Hang(Exception):
    pass


@contextlib.contextmanager
def no_hang(seconds: int = HANG_SECONDS):
    """Fail the example (instead of the run) when it takes longer than `seconds`."""
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_message(text: str) -> str:
    """An error's text: every line `FILE[:LINE]: message`."""
    assert text.strip(), "an error without a message"
    for line in text.splitlines():
        assert PROBLEM_LINE.match(line), f"not FILE[:LINE]: message: {line!r}"
    assert "internal error" not in text, text
    return "error"


def holds_the_contract(run) -> str:
    """run() builds, or raises a GuidebuilderError of FILE[:LINE]: lines; what happened."""
    from guidebuilder.errors import BuildError, InputError

    try:
        with no_hang():
            run()
    except (InputError, BuildError) as exc:
        note(f"{exc.__class__.__name__}: {str(exc).splitlines()[0].split(': ', 1)[-1][:40]}")  # --hypothesis-show-statistics
        return check_message(str(exc))
    note("built")
    return "built"


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="guidebuilder-fuzz-more-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module", autouse=True)
def private_cache(scratch):
    """The caches work as usual, in a folder of this module's (not the user's)."""
    from guidebuilder.template import jinja as template
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "GUIDEBUILDER_NO_CACHE")}
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    os.environ.pop("GUIDEBUILDER_NO_CACHE", None)
    template.environment.cache_clear()
    yield scratch / "cache"
    template.environment.cache_clear()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def fresh(scratch: Path, stem: str) -> Path:
    folder = scratch / f"{stem}-{next(_names)}"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def inputs():
    """The real guide and the default school (loaded once)."""
    from guidebuilder.pipeline import load_inputs

    with working_dir(REPO):
        return load_inputs(None, None)


# ---- layouts ------------------------------------------------------------------------------------

ATTRIBUTE_VALUES = st.sampled_from([
    "", " ", "0", "1", "2", "3", "6", "12", "13", "-1", "99999", "1.5", "1e308", "inf", "nan", "-0",
    "12pt", "0.25in", "3mm", "0pt", "-3pt", "1e9in", "72", "abc", "pt", "1,1,2", "1,1", "inf,1", "0,1",
    "yes", "no", "true", "row", "column", "left", "right", "middle", "top", "bottom", "accent", "primary",
    "panel", "band", "rule", "fact_card", "primary 12%", "accent 200%", "#0B4F6C", "#GGG", "nope", "small", "lead",
    "flow", "one-page", "letter", "cover", "flap", "back", "inside-left", "https://example.edu/a",
    "javascript:alert(1)", "http://", "logo.png", "../school.yaml", "/etc/passwd", "**bold** *em*", "x" * 300,
    "{{ guide.title }}", "&amp;", "&lt;b&gt;", "\u200b", "é",
])
TEXTS = st.sampled_from([
    "Text", "", " ", "**strong** and *em*", "[a link](https://example.edu)", "&amp; &lt; &gt;", "{{ guide.title }}",
    "{{ guide.summary|md }}", "{{ school.name }}", "{{ guide.reviewed|long_date }}", "{{ guide.nope }}",
    "{{ 1 / 0 }}", "{{ guide.sections[0].heading|md }}", "{{ '<b>' }}", "{{ guide.title * 3 }}",
    "{% for s in guide.sections %}{{ s.heading|md }} {% endfor %}", "{% if school.program %}yes{% endif %}",
    "{{ range(3)|list }}", "{{ guide.__class__ }}", "{% raw %}{{{% endraw %}", "<b>bold</b>", "<i>x</i><br/>y",
    '<a href="https://example.edu">x</a>', "Wordwithoutanybreakwhatsoever" * 8, "\u00a0\u2019\u201c€", "%s {0}",
])


def attribute_value(attr, junk: bool = True):
    """A value for a declared attribute: mostly one of its kind, sometimes (junk) anything."""
    name = getattr(attr.kind, "__name__", "")
    if "|" in name:
        good = st.sampled_from(name.split("|"))                      # a choice
    elif name == "length":
        good = st.sampled_from(["0pt", "4pt", "12pt", "0.25in", "1in", "3mm", "18"])
    elif name == "boolean":
        good = st.sampled_from(["yes", "no"])
    elif name == "numbers":
        good = st.sampled_from(["1,1", "1,2", "2,1,1", "1"])
    elif name in ("int", "positive int"):
        good = st.integers(1, 12).map(str)
    elif name in ("float", "positive float"):
        good = st.sampled_from(["8", "9.5", "12"])
    elif name == "rich":
        good = st.sampled_from(["Label", "**Bold** label", "$50,250", "{{ guide.title }}"])
    elif attr.default in ("panel", "band", "rule"):                    # a colour role
        good = st.sampled_from(["panel", "primary", "accent 20%", "fact_card", "band", "rule"])
    else:
        good = st.sampled_from(["https://example.edu/apply", "A picture", "Title"])
    return st.one_of(good, good, good, ATTRIBUTE_VALUES) if junk else good


def _element_strategy():
    from guidebuilder.render.parse import parse_markup  # noqa: F401 - registers every component
    from guidebuilder.render.components.base import REGISTRY

    parts = {t for cls in REGISTRY.values() if isinstance(cls.children, tuple) for t in cls.children}
    top_only = {"columns", "fold-panel"}
    blocks = sorted(t for t in REGISTRY if t not in parts | top_only | {"document"})
    anything = sorted(t for t in REGISTRY if t != "document") + ["unknown"]

    def slip(draw, noisy: bool, one_in: int) -> bool:
        """A mistake, one time in `one_in`, in a noisy layout only."""
        return noisy and draw(st.integers(0, one_in - 1)) == 0

    @st.composite
    def element(draw, choices, noisy: bool, depth=0):
        tag = draw(st.sampled_from(anything)) if slip(draw, noisy, 25) else draw(st.sampled_from(choices))
        cls = REGISTRY.get(tag)
        declared = cls.attributes if cls else {}
        attrs = {n: draw(attribute_value(a) if noisy else attribute_value(a, junk=False)) for n, a in declared.items()
                 if (a.required and not slip(draw, noisy, 15)) or draw(st.integers(0, 3)) == 0}
        if slip(draw, noisy, 40):
            attrs["bogus"] = "1"
        attr_text = "".join(f' {k}="{v}"' for k, v in attrs.items())
        kinds = cls.children if cls else "none"
        if kinds == "inline":
            inner = draw(TEXTS) if slip(draw, noisy, 4) else draw(st.sampled_from(FRIENDLY_TEXTS))
        elif kinds == "none" or depth >= 4:
            inner = draw(TEXTS) if slip(draw, noisy, 20) else ""
        else:
            kids = list(kinds) if isinstance(kinds, tuple) else blocks
            count = 0 if slip(draw, noisy, 10) else draw(st.integers(1, 3))
            inner = "".join(draw(element(kids, noisy, depth + 1)) for _ in range(count))
        return f"<{tag}{attr_text}>{inner}</{tag}>"

    return lambda noisy: element(blocks + ["columns"], noisy)


FRIENDLY_TEXTS = ["Some text", "**Bold** and *em*", "{{ guide.title|md }}", "{{ school.name }}",
                  "{% for s in guide.sections %}{{ s.heading|md }} {% endfor %}", "Text with a [link](https://example.edu)"]


@st.composite
def layouts(draw):
    noisy = draw(st.booleans())  # half the layouts are free of mistakes: they should mostly build
    element = lambda: _element_strategy()(noisy)  # noqa: E731
    document_attrs = {"title": "{{ guide.title }}"}
    for name, values in (("fit", ["flow", "one-page", "two"]), ("max-pages", ["4", "2", "1", "0", "x"]),
                         ("min-font-size", ["8", "6", "0", "-1", "30"]), ("fold", ["letter", "nope"]),
                         ("orientation", ["portrait", "landscape", "sideways"]), ("lang", ["en", "de", "xx-YY-ZZ"])):
        if draw(st.integers(0, 3)) == 0 and (noisy or name != "fold"):
            document_attrs[name] = draw(st.sampled_from(values if noisy else values[:2]))
    if noisy and draw(st.integers(0, 15)) == 0:
        del document_attrs["title"]
    body = "".join(draw(element()) for _ in range(draw(st.integers(1, 4))))
    if draw(st.integers(0, 8)) == 0:  # a brochure's panels
        body = "".join(f'<fold-panel name="{n}">{draw(element())}</fold-panel>' for n in
                       draw(st.permutations(["cover", "flap", "back", "inside-left", "inside-middle", "inside-right"])))
        document_attrs["fold"] = "letter"
    attrs = "".join(f' {k}="{v}"' for k, v in document_attrs.items())
    text = f"<document{attrs}>\n{body}\n</document>\n"
    if noisy and draw(st.integers(0, 10)) == 0:  # a slip of the hand somewhere: markup or template syntax
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["<", ">", "&", "{{", "{%", "</p>", '"', "\x00"])) + text[at:]
    return text


def build_layout(scratch: Path, inputs, text: str) -> str:
    from guidebuilder.pipeline import build_pdf

    folder = fresh(scratch, "layout")
    layout = folder / "fuzz.xml.j2"
    layout.write_text(text, encoding="utf-8")
    outcome = []

    def run():
        with working_dir(REPO):
            pdf = build_pdf(inputs, layout)
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        outcome.append(1)

    return holds_the_contract(run)


KNOWN_LAYOUT_CRASHES = {  # the smallest reproducers of crashes the fuzzer found (fixed)
    "document-of-artifacts-only": '<document title="{{ guide.title }}">\n<rule></rule>\n</document>\n',
    "empty-colour-role": '<document title="{{ guide.title }}">\n<rule colour=""></rule>\n</document>\n',
    "markup-message-with-line-break": '<\x00document title="x">\n<p>a</p>\n</document>\n',
    "image-src-that-is-a-url": '<document title="x">\n<image src="https://example.edu/a" alt="a"></image>\n</document>\n',
}


@pytest.mark.parametrize("case", list(KNOWN_LAYOUT_CRASHES))
def test_known_layout_crashes(scratch, inputs, case):
    from guidebuilder.pipeline import build_pdf

    layout = fresh(scratch, "known") / "known.xml.j2"
    layout.write_text(KNOWN_LAYOUT_CRASHES[case], encoding="utf-8")

    def run():
        with working_dir(REPO):
            build_pdf(inputs, layout)

    holds_the_contract(run)


@settings(FUZZ, max_examples=20 * QUICK)
@given(text=layouts())
@example(text='<document title="x"><p>{{ guide.title }}</p></document>\n')
def test_random_layouts_build_or_fail_cleanly(scratch, inputs, text):
    build_layout(scratch, inputs, text)


@pytest.mark.slow
@settings(FUZZ, max_examples=20 * BIG * 2)
@given(text=layouts())
def test_random_layouts_build_or_fail_cleanly_big(scratch, inputs, text):
    build_layout(scratch, inputs, text)


# ---- SVG logos ------------------------------------------------------------------------------------

SVG_NUMBERS = st.one_of(
    st.integers(1, 400).map(str), st.integers(1, 400).map(str),   # mostly sizes that work
    st.sampled_from(["0", "1", "10", "50", "100", "-5", "1e30", "-1e30", "1e-30", "nan", "inf", "3.5", "10%", "2em",
                     "5px", "1in", "", "abc", "1 2", "1,2"]))
SVG_SHAPES = st.sampled_from([
    '<rect x="{a}" y="{b}" width="{c}" height="{d}" fill="#0b4f6c"/>',
    '<circle cx="{a}" cy="{b}" r="{c}" fill="red" stroke="blue" stroke-width="{d}"/>',
    '<ellipse cx="{a}" cy="{b}" rx="{c}" ry="{d}"/>',
    '<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" stroke="black"/>',
    '<polygon points="{a},{b} {c},{d} {a},{d}"/>',
    '<path d="M{a} {b} L{c} {d} Q{a} {c} {b} {d} Z"/>',
    '<path d="M 0 0 C {a} {b} {c} {d} A {a} {b} 0 1 1 {c} {d}"/>',
    '<path d="{a}{b}{c}"/>',
    '<text x="{a}" y="{b}" font-size="{c}">Logo &amp; co</text>',
    '<g transform="translate({a},{b}) scale({c}) rotate({d})"><rect width="10" height="10"/></g>',
    '<g transform="matrix({a} {b} {c} {d} 0 0)"><circle r="5"/></g>',
    '<use href="#a" x="{a}"/>',
    '<defs><linearGradient id="g"><stop offset="{a}" stop-color="red"/></linearGradient></defs>'
    '<rect width="{c}" height="{d}" fill="url(#g)"/>',
    '<style>rect {{ fill: #{a}; }}</style>',
    '<image href="data:image/png;base64,iVBORw0KGgo=" width="{a}" height="{b}"/>',
    '<image href="other.png" width="{a}" height="{b}"/>',
    '<clipPath id="c"><rect width="{a}" height="{b}"/></clipPath><rect clip-path="url(#c)" width="{c}" height="{d}"/>',
    '<rect id="a" width="{a}" height="{b}" opacity="{c}" fill-opacity="{d}"/>',
])


@st.composite
def svgs(draw):
    numbers = [draw(SVG_NUMBERS) for _ in range(4)]
    shapes = "".join(draw(SVG_SHAPES).format(a=numbers[0], b=numbers[1], c=numbers[2], d=numbers[3])
                     for _ in range(draw(st.integers(0, 4))))
    attrs = ""
    for name in ("width", "height"):
        if draw(st.integers(0, 4)):
            attrs += f' {name}="{draw(SVG_NUMBERS)}"'
    if draw(st.booleans()):
        count = draw(st.sampled_from([4, 4, 4, 0, 3, 5]))
        attrs += f' viewBox="{" ".join(["0", "0"] + [draw(SVG_NUMBERS) for _ in range(count - 2)]) if count > 2 else ""}"'
    text = f'<svg xmlns="http://www.w3.org/2000/svg"{attrs}>{shapes}</svg>'
    if draw(st.integers(0, 6)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["<", "&", "\x00", "<!DOCTYPE x>", "]]>", "é"])) + text[at:]
    return text


def build_with_logo(scratch: Path, inputs, logo: bytes) -> str:
    from guidebuilder.load import load_school_source
    from guidebuilder.pipeline import Inputs, build_pdf

    folder = fresh(scratch, "svg")
    (folder / "logo.svg").write_bytes(logo)
    school_file = folder / "school.yaml"
    school_file.write_text("name: Fuzz College\ncolors:\n  primary: '#0B4F6C'\nlogo: logo.svg\n", encoding="utf-8")

    def run():
        with working_dir(folder):
            school, school_source = load_school_source(school_file)
            both = Inputs(inputs.guide, inputs.guide_file, school, school_file, inputs.guide_source, school_source)
            pdf = build_pdf(both, "checklist")
        assert pdf.startswith(b"%PDF-")

    return holds_the_contract(run)


def test_known_svg_crash_nan_height(scratch, inputs):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="nan"></svg>'
    build_with_logo(scratch, inputs, svg.encode())


@settings(FUZZ, max_examples=12 * QUICK)
@given(svg=svgs())
@example(svg='<svg xmlns="http://www.w3.org/2000/svg" width="1e30" height="1"><rect width="1" height="1"/></svg>')
def test_random_svg_logos_build_or_fail_cleanly(scratch, inputs, svg):
    build_with_logo(scratch, inputs, svg.encode("utf-8"))


@pytest.mark.slow
@settings(FUZZ, max_examples=12 * BIG * 2)
@given(svg=st.one_of(svgs(), st.text(max_size=200).map(lambda t: f"<svg>{t}</svg>")))
def test_random_svg_logos_build_or_fail_cleanly_big(scratch, inputs, svg):
    build_with_logo(scratch, inputs, svg.encode("utf-8"))


@pytest.mark.slow
@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=300))
def test_random_bytes_as_an_svg_logo_fail_cleanly(scratch, inputs, data):
    build_with_logo(scratch, inputs, data)


# ---- rosters -------------------------------------------------------------------------------------

COLUMNS = ["slug", "name", "short_name", "tagline", "colors.primary", "colors.secondary", "colors.accent",
           "contact.phone", "contact.email", "contact.website", "contact.office", "page_size", "logo",
           "program.name", "program.next_start", "event.name", "event.date", "colors", "nam", "colors.primery",
           "fonts.regular", ""]
CELLS = st.one_of(st.sampled_from([
    "", " ", "Lakeside College", "#0B4F6C", "red", "transparent", "letter", "a4", "A5", "2027-03-14",
    "2027-13-45", "https://example.edu", "javascript:x", "someone@example.edu", "not an email", "logo.png",
    "../outside.png", "/etc/passwd", "0201234567", "17.80", "yes", "\u200b", "Café", '"', "a,b", "line\nbreak",
    "x" * 400, "=1+1", "\ufeff", "None", "null",
]), st.text(string.printable, max_size=20))


@st.composite
def rosters(draw):
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6,
                           unique=draw(st.integers(0, 9)) > 0))  # a repeated column, now and then
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=4))

    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell

    lines = [",".join(map(quoted, header))] + [",".join(map(quoted, row)) for row in rows]
    text = "\r\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, "replace")


def read_and_validate_roster(scratch: Path, data: bytes, build: bool = False, inputs=None) -> str:
    from guidebuilder.errors import InputError
    from guidebuilder.load import school_from_source
    from guidebuilder.load.roster import read_roster

    folder = fresh(scratch, "roster")
    roster = folder / "schools.csv"
    roster.write_bytes(data)
    outcomes = []

    def run():
        with working_dir(folder):
            for row in read_roster(roster):
                for problem in row.problems:
                    check_message(str(problem))
                try:
                    school = school_from_source(row.source(), row.slug)
                except InputError as exc:  # the batch reports it for that row, and goes on
                    check_message(str(exc))
                    assert all(line.startswith("schools.csv:") for line in str(exc).splitlines()), str(exc)
                    outcomes.append("row error")
                    continue
                outcomes.append("row ok")
                if build:
                    from guidebuilder.pipeline import Inputs, build_pdf

                    both = Inputs(inputs.guide, inputs.guide_file, school, roster, inputs.guide_source,
                                  row.source())
                    assert build_pdf(both, "checklist").startswith(b"%PDF-")

    return holds_the_contract(run)


@settings(FUZZ, max_examples=60 * QUICK)
@given(data=st.one_of(rosters(), st.binary(max_size=200)))
@example(data=b"name,colors.primary\nX,#000000\n")
def test_random_rosters_read_or_fail_cleanly(scratch, data):
    read_and_validate_roster(scratch, data)


# Crashes the fuzzer found in the roster reader (issue 11 item 9, fixed).
KNOWN_ROSTER_CRASHES = {
    "column-and-nested-column": b"name,colors,colors.primary\nX,red,#000000\n",
    "cell-over-csv-field-limit": b"name,colors.primary\n" + b"x" * 140_000 + b",red\n",
    "value-with-line-break-in-message": b'slug,colors.primary\r\n,"line\nbreak"\r\n',
}


@pytest.mark.parametrize("case", list(KNOWN_ROSTER_CRASHES))
def test_known_roster_crashes(scratch, case):
    read_and_validate_roster(scratch, KNOWN_ROSTER_CRASHES[case])


@pytest.mark.slow
@settings(FUZZ, max_examples=60 * BIG)
@given(data=st.one_of(rosters(), st.binary(max_size=500)))
def test_random_rosters_read_or_fail_cleanly_big(scratch, data):
    read_and_validate_roster(scratch, data)


@pytest.mark.slow
@settings(FUZZ, max_examples=40)
@given(data=rosters())
def test_random_roster_rows_build_or_fail_cleanly(scratch, inputs, data):
    read_and_validate_roster(scratch, data, build=True, inputs=inputs)


# ---- cache files ------------------------------------------------------------------------------------


def cache_entry_bytes():
    """Random bytes, and random bytes behind a real header (so they get past the first check)."""
    from guidebuilder.diskcache import _header

    header = _header("fuzz-lib1.0")
    return st.one_of(st.binary(max_size=300),
                     st.binary(max_size=300).map(lambda tail: header + tail),
                     st.tuples(st.binary(min_size=32, max_size=32), st.binary(max_size=300)).map(
                         lambda parts: header + parts[0] + parts[1]))


@settings(FUZZ, max_examples=150 * QUICK)
@given(data=cache_entry_bytes())
def test_random_bytes_as_a_cache_entry_are_computed_again(private_cache, data):
    from guidebuilder.diskcache import cached, folder
    import hashlib
    import sys

    where = folder(f"fuzz-lib1.0-py{sys.version_info[0]}.{sys.version_info[1]}")
    entry = where / hashlib.sha256(b"the key").hexdigest()
    entry.write_bytes(data)
    with no_hang():
        assert cached("fuzz-lib1.0", b"the key", lambda: ("computed", 42)) == ("computed", 42)
        assert cached("fuzz-lib1.0", b"the key", lambda: pytest.fail("recomputed")) == ("computed", 42)


@pytest.fixture(scope="module")
def small_layout(scratch):
    folder = fresh(scratch, "template")
    (folder / "t.xml.j2").write_text("{% for i in range(3) %}<p>{{ i * 7 }}</p>{% endfor %}\n", encoding="utf-8")
    return folder / "t.xml.j2"


@contextlib.contextmanager
def cache_home(folder: Path):
    saved = os.environ["XDG_CACHE_HOME"]
    os.environ["XDG_CACHE_HOME"] = str(folder)
    try:
        yield
    finally:
        os.environ["XDG_CACHE_HOME"] = saved


def render_small(small_layout: Path) -> str:
    """The template rendered through a new environment: Jinja reads its bytecode cache file."""
    from guidebuilder.template import jinja as template
    template.environment.cache_clear()
    with cache_home(small_layout.parent / "cache"), no_hang():
        try:
            return template.render_markup(small_layout, (small_layout.parent,))
        finally:
            template.environment.cache_clear()  # no environment outlives its cache folder


def bytecode_entry(small_layout: Path) -> Path:
    entries = [p for p in (small_layout.parent / "cache").glob("guidebuilder/jinja*/*") if p.is_file()]
    assert len(entries) == 1, entries
    return entries[0]


@settings(FUZZ, max_examples=100 * QUICK)
@given(data=st.one_of(st.binary(max_size=300), st.tuples(st.integers(0, 10_000), st.integers(0, 7))))
def test_random_bytes_as_a_template_cache_entry_are_compiled_again(small_layout, data):
    """Random bytes, or a real entry with one bit flipped: never handed to marshal."""
    expected = "<p>0</p><p>7</p><p>14</p>"  # trim_blocks takes the line break after endfor
    assert render_small(small_layout) == expected
    entry = bytecode_entry(small_layout)
    good = entry.read_bytes()
    if isinstance(data, tuple):
        at = data[0] % len(good)
        data = good[:at] + bytes([good[at] ^ (1 << data[1])]) + good[at + 1:]
    entry.write_bytes(data)
    assert render_small(small_layout) == expected
    assert entry.read_bytes() == good  # replaced by the compiled template
