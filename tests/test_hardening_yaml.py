"""Issue 11, items 3, 6, 9 and 11: values print exactly as typed, invisible characters never
print as boxes, and odd keys, rosters and characters give FILE:LINE errors, not internal ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfhelpers import contains_text, pdf_text

GUIDE = """\
title: How to Become a Test Pilot
summary: A short guide about {summary}.
key_facts:
  - value: 17.80
    label: dollars an hour
    source: faa
  - value: 0755
    label: permissions
    source: faa
  - value: 1_000
    label: hours flown
    source: faa
  - value: 010
    label: aircraft
    source: faa
sections:
  - heading: What a test pilot does
    body:
      - 1:20:30
      - .inf
      - Flights start at 0600.
checklist:
  title: Your test pilot checklist
  groups:
    - heading: Get ready
      items:
        - 0.10
        - 0755
        - yes
        - text: 1e3
          detail: 2027-03-14
reviewed: 2026-11-01
sources:
  - id: faa
    title: FAA
    date: 2025-08
"""

SCHOOL = """\
name: Test College
colors:
  primary: "#123456"
contact:
  office: 1:30
  phone: 0201234567
page_size: a4
event:
  name: Fair
  date: 2027-03-14
"""


def quoted_summary(escaped: str) -> str:
    """The guide with its summary double-quoted, so that YAML escapes like \\u200B apply."""
    return GUIDE.replace("summary: A short guide about {summary}.", f'summary: "A short guide about {escaped}."')


def run(args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def problems(tmp_path, monkeypatch, kind: str) -> list[str]:
    """The lines of the InputError loading guide.yaml or school/school.yaml, in-process (fast)."""
    from guidebuilder.errors import InputError
    from guidebuilder.load import load_guide, load_school

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_guide(Path("guide.yaml")) if kind == "guide" else load_school(Path("school/school.yaml"))
    return str(caught.value).splitlines()


def write(folder: Path, guide: str = GUIDE.format(summary="flying"), school: str = SCHOOL) -> None:
    (folder / "guide.yaml").write_text(guide, encoding="utf-8")
    (folder / "school").mkdir(exist_ok=True)
    (folder / "school" / "school.yaml").write_text(school, encoding="utf-8")


def build(folder: Path, *layouts: str, expect: int = 0) -> subprocess.CompletedProcess:
    args = ["build", "--guide", "guide.yaml", "--school", "school/school.yaml", "--out", "out"]
    for layout in layouts:
        args += ["--layout", layout]
    result = run(args, folder)
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    return result


def text_of(folder: Path, layout: str) -> str:
    return pdf_text(PdfReader(folder / "out" / "school" / f"guide-{layout}.pdf"))


# ---- item 3: values are the text typed -----------------------------------------------------


def test_every_value_prints_exactly_as_typed(tmp_path):
    write(tmp_path)
    build(tmp_path, "handout", "checklist")
    handout, checklist = text_of(tmp_path, "handout"), text_of(tmp_path, "checklist")
    for typed in ("17.80", "0755", "1_000", "010", "1:20:30", ".inf", "0201234567", "1:30", "0600"):
        assert contains_text(handout, typed), typed
    for typed in ("0.10", "0755", "yes", "1e3", "2027-03-14"):
        assert contains_text(checklist, typed), typed
    for changed in ("33896823", "4830", "493"):  # what YAML 1.1 made of them
        assert changed not in handout + checklist
    assert "1000 hours" not in handout.replace("\n", " ")


def test_non_text_fields_still_read_their_types(tmp_path):
    """Dates, page sizes and choices arrive as text and are converted by the models."""
    write(tmp_path)
    result = run(["check", "guide.yaml", "school/school.yaml"], tmp_path)
    assert result.returncode == 0, result.stderr
    from guidebuilder.load import load_guide, load_school
    import datetime as dt

    guide = load_guide(tmp_path / "guide.yaml")
    assert guide.reviewed == dt.date(2026, 11, 1)
    assert guide.key_facts[0].value == "17.80"
    assert guide.checklist.groups[0].items[0].text == "0.10"
    assert guide.sources[0].date == "2025-08"
    school = load_school(tmp_path / "school" / "school.yaml")
    assert school.page_size == "a4" and school.event.date == dt.date(2027, 3, 14)
    assert (school.contact.phone, school.contact.office) == ("0201234567", "1:30")


@pytest.mark.parametrize("value, message", [
    ("2027-3-14", "expected a date like 2027-03-14"),
    ("0", "expected a date like 2027-03-14"),            # pydantic alone would read 1970-01-01
    ("20270314", "expected a date like 2027-03-14"),
    ("2026-02-30", "expected a date like 2027-03-14"),
    ("2027-03-14 10:30", "expected a date like 2027-03-14, without a time"),
    ("yes", "expected a date like 2027-03-14"),
])
def test_dates_must_be_written_as_dates(tmp_path, monkeypatch, value, message):
    write(tmp_path, school=SCHOOL.replace("date: 2027-03-14", f"date: {value}"))
    assert problems(tmp_path, monkeypatch, "school") == [f"school/school.yaml:10: event.date: {message}"]


def test_quoted_and_null_values(tmp_path):
    """Quotes change nothing; null, ~ and nothing are no value (an optional key left out)."""
    school = SCHOOL.replace("phone: 0201234567", 'phone: "0201234567"') + "tagline: ~\nshort_name: null\nlogo:\n"
    write(tmp_path, school=school)
    from guidebuilder.load import load_school

    loaded = load_school(tmp_path / "school" / "school.yaml")
    assert loaded.contact.phone == "0201234567"
    assert (loaded.tagline, loaded.short_name, loaded.logo) == (None, None, None)


def test_yes_and_on_keys_are_words(tmp_path):
    write(tmp_path, school=SCHOOL + "yes: 1\non: 2\n")
    result = run(["check", "school/school.yaml"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: school/school.yaml:11: yes: unknown key",
                                          "error: school/school.yaml:12: on: unknown key"]


def test_a_mapping_where_text_belongs_names_the_text(tmp_path):
    """Messages that used to say "got float 0.1" quote the value as typed."""
    write(tmp_path, school=SCHOOL.replace("  phone: 0201234567\n", "") + "program: 0.10\n")
    result = run(["check", "school/school.yaml"], tmp_path)
    assert result.stderr.splitlines() == ['error: school/school.yaml:10: program: expected a mapping of keys, '
                                          'got "0.10"']


def test_explicit_tags_still_work_and_read_well(tmp_path):
    """A value tagged !!float is a number (asked for explicitly); the message says so in words."""
    write(tmp_path, school=SCHOOL + "program: !!float 0.10\n")
    result = run(["check", "school/school.yaml"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: school/school.yaml:11: program: expected a mapping of keys, "
                                          "got the number 0.1"]


def test_the_stylesheet_reads_its_numbers(tmp_path):
    from guidebuilder.render.stylesheet import load_stylesheet

    sheet = load_stylesheet(Path(__file__).resolve().parent.parent / "layouts" / "base.yaml")
    assert sheet.type["h3"].size == 11.5 and isinstance(sheet.type["title"].size, int)


# ---- item 6: invisible characters -------------------------------------------------------------


@pytest.mark.parametrize("escape, name", [
    ("\\u202E", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\\u202A", "U+202A LEFT-TO-RIGHT EMBEDDING"),
    ("\\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\\u2069", "U+2069 POP DIRECTIONAL ISOLATE"),
    ("\\u200F", "U+200F RIGHT-TO-LEFT MARK"),
    ("\\u061C", "U+061C ARABIC LETTER MARK"),
])
def test_direction_controls_are_refused_at_their_key(tmp_path, monkeypatch, escape, name):
    write(tmp_path, school=SCHOOL + f'tagline: "Learn {escape}here"\n')
    assert problems(tmp_path, monkeypatch, "school") == [f"school/school.yaml:11: tagline: contains {name}, an "
                                                         f"invisible direction control that reorders the printed "
                                                         f"text; remove it"]


@pytest.mark.parametrize("code", [0x80, 0x85, 0x9F])
def test_c1_controls_are_refused(tmp_path, monkeypatch, code):
    write(tmp_path, guide=quoted_summary(f"flying\\u{code:04X}"))
    assert problems(tmp_path, monkeypatch, "guide") == [f"guide.yaml:2: summary: contains U+{code:04X}, a control "
                                                        f"character (often left over from text saved in another "
                                                        f"encoding); remove it"]


@pytest.mark.parametrize("code", [0xFFFF, 0xFFFE, 0xFDD0, 0x1FFFF])
def test_noncharacters_name_the_guides_line_not_the_layout(tmp_path, monkeypatch, code):
    escape = f"\\U{code:08X}" if code > 0xFFFF else f"\\u{code:04X}"
    write(tmp_path, guide=GUIDE.replace("title: How to Become a Test Pilot", f'title: "{escape}"'))
    message = f"guide.yaml:1: title: contains U+{code:04X}, which is not a character (a Unicode noncharacter); remove it"
    assert problems(tmp_path, monkeypatch, "guide") == [message]
    if code == 0xFFFF:  # the case of the issue, as a build: the guide's line, not the layout's markup
        result = build(tmp_path, "handout", expect=2)
        assert result.stderr.splitlines() == [f"error: {message}"]
        assert not (tmp_path / "out").exists()


@pytest.mark.slow  # check and build, about 2 s (corpus cases 148 and 151 are the quick version)
def test_zero_width_characters_are_removed_with_a_warning(tmp_path):
    guide = quoted_summary("fly\\u200Bing")
    school = SCHOOL.replace("name: Test College", 'name: "Test\\u2060 Col\\uFEFFlege\\u200C\\u200D"')
    write(tmp_path, guide=guide, school=school)
    result = run(["check", "guide.yaml", "school/school.yaml"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ok     guide.yaml (guide)",
        "       warning: guide.yaml:2: summary: removed U+200B ZERO WIDTH SPACE (invisible, it would print as a box)",
        "ok     school/school.yaml (school)",
        "       warning: school/school.yaml:1: name: removed U+200C ZERO WIDTH NON-JOINER, U+200D ZERO WIDTH "
        "JOINER, U+2060 WORD JOINER, U+FEFF ZERO WIDTH NO-BREAK SPACE (invisible, they would print as a box)",
    ]
    result = build(tmp_path, "handout")
    assert "warning: guide.yaml:2: summary: removed U+200B ZERO WIDTH SPACE" in result.stderr
    text = text_of(tmp_path, "handout")
    assert contains_text(text, "A short guide about flying.") and contains_text(text, "Test College")
    assert not set(text) & set("\u200b\u200c\u200d\u2060\ufeff")


def test_decomposed_accents_are_composed(tmp_path):
    write(tmp_path, school=SCHOOL + 'tagline: "Cafe\\u0301 studies"\n')
    from guidebuilder.load import load_school

    assert load_school(tmp_path / "school" / "school.yaml").tagline == "Caf\u00e9 studies"
    build(tmp_path, "handout")
    assert "Caf\u00e9 studies" in text_of(tmp_path, "handout")


@pytest.mark.slow  # check and build, about 2 s (corpus cases 148 and 151 are the quick version)
def test_invisible_characters_typed_in_a_layout_are_an_error_in_check_and_build(tmp_path):
    write(tmp_path)
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    base = Path(__file__).resolve().parent.parent / "layouts"
    text = (base / "checklist.xml.j2").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if "<title>{{ cl.title }}</title>" in line)
    lines[target] = lines[target].replace("</title>", "\u200b</title>", 1)  # typed after the title
    (layouts / "zw.xml.j2").write_text("".join(lines), encoding="utf-8")
    message = (f"error: layouts/zw.xml.j2:{target + 1}: the layout prints U+200B ZERO WIDTH SPACE, an invisible "
               f"character that would print as a box; remove it")
    result = run(["check", "layouts/zw.xml.j2"], tmp_path)
    assert result.returncode == 2 and result.stderr.splitlines() == [message]
    result = run(["build", "--guide", "guide.yaml", "--school", "school/school.yaml", "--layout", "zw",
                  "--out", "out"], tmp_path)
    assert result.returncode == 2 and result.stderr.splitlines() == [message]
    assert not (tmp_path / "out").exists()


# ---- roster cells ---------------------------------------------------------------------------------


def write_roster(folder: Path, text: str) -> None:
    (folder / "roster.csv").write_text(text, encoding="utf-8")


def batch(folder: Path) -> subprocess.CompletedProcess:
    return run(["batch", "--roster", "roster.csv", "--out", "out", "--layout", "checklist", "--jobs", "1"], folder)


@pytest.mark.slow
def test_roster_cells_are_cleaned_and_checked_like_school_files(tmp_path):
    write_roster(tmp_path, 'name,colors.primary,tagline,contact.phone\n'
                           'Good College,#123456,Cafe\u0301 \u200bclasses,0201234567\n'
                           'Bad College,#123456,Learn \u202ehere,\n')
    result = batch(tmp_path)
    assert result.returncode == 1, result.stderr
    assert "warning: roster.csv:2: tagline: removed U+200B ZERO WIDTH SPACE (invisible, it would print as a box)" \
        in result.stderr.splitlines()
    assert ("failed bad-college (row on line 3): roster.csv:3: tagline: contains U+202E RIGHT-TO-LEFT OVERRIDE, an "
            "invisible direction control that reorders the printed text; remove it") in result.stderr.splitlines()
    assert (tmp_path / "out" / "good-college").is_dir()


@pytest.mark.slow
def test_a_whole_key_and_its_part_as_columns(tmp_path):
    write_roster(tmp_path, "name,colors,colors.primary\nA,red,#123456\n")
    result = batch(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ['error: roster.csv:1: colors.primary: both this column and column '
                                          '"colors" set colors; keep one of them']
    write_roster(tmp_path, "colors.primary,name,colors\n#123456,A,red\n")
    assert batch(tmp_path).stderr.splitlines() == ['error: roster.csv:1: colors.primary: both this column and '
                                                   'column "colors" set colors; keep one of them']


def test_a_roster_cell_over_the_limit(tmp_path):
    write_roster(tmp_path, "name,colors.primary,tagline\nA,#123456,ok\nB,#123456," + "x" * 131_073 + "\n")
    result = batch(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: roster.csv:3: tagline: the cell is 131,073 characters long, over "
                                          "the 131,072 character limit"]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_unclosed_quote_in_a_roster(tmp_path):
    write_roster(tmp_path, 'name,colors.primary,tagline\nA,#123456,"never closed\n' + "B,#123456,more\n" * 20000)
    result = batch(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: roster.csv:2: tagline: the cell is 300,013 characters long, over "
                                          "the 131,072 character limit (a quote that is never closed makes the "
                                          "rest of the file one cell)"]


def test_a_cell_of_exactly_the_limit_is_read(tmp_path):
    from guidebuilder.load.roster import read_roster

    write_roster(tmp_path, "name,colors.primary,tagline\nA,#123456," + "x" * 131_072 + "\n")
    import csv

    before = csv.field_size_limit()
    rows = read_roster(tmp_path / "roster.csv")
    assert len(rows[0].data["tagline"]) == 131_072
    assert csv.field_size_limit() == before  # the process-wide limit is left as it was


@pytest.mark.slow
def test_words_yaml_1_1_read_as_booleans_or_numbers(tmp_path):
    """language: no (Norwegian) was False, and a guide id 0755 named the files 493-handout.pdf."""
    write(tmp_path, guide=GUIDE.format(summary="flying") + "language: no\nid: 0755\n")
    from guidebuilder.load import load_guide

    guide = load_guide(tmp_path / "guide.yaml")
    assert (guide.language, guide.id) == ("no", "0755")
    build(tmp_path, "checklist")
    assert [p.name for p in (tmp_path / "out" / "school").iterdir()] == ["0755-checklist.pdf"]
