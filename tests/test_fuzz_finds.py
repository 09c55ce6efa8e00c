"""Exact errors for what the fuzzers of tests/test_fuzz_more.py found (issue 11): each was an
internal error or a message broken over two lines."""

from __future__ import annotations

import pytest

from guidebuilder.errors import InputError, Problem
from pdfhelpers import GUIDE_FILE, REPO, school_file, working_dir


@pytest.fixture(scope="module")
def inputs():
    from guidebuilder.pipeline import load_inputs

    with working_dir(REPO):
        return load_inputs(str(GUIDE_FILE), str(school_file("default")))


def build(tmp_path, inputs, text: str) -> bytes:
    from guidebuilder.pipeline import build_pdf

    layout = tmp_path / "t.xml.j2"
    layout.write_text(text, encoding="utf-8")
    with working_dir(tmp_path):
        return build_pdf(inputs, layout)


def test_a_document_of_artifacts_only_builds(tmp_path, inputs):
    pdf = build(tmp_path, inputs, '<document title="{{ guide.title }}">\n<rule></rule>\n</document>\n')
    from io import BytesIO

    from pypdf import PdfReader

    root = PdfReader(BytesIO(pdf)).trailer["/Root"]
    assert root["/StructTreeRoot"]["/K"]["/S"] == "/Document"  # a tree with nothing to read in it


def test_an_empty_colour_role_is_an_error_at_its_line(tmp_path, inputs):
    with pytest.raises(InputError) as caught:
        build(tmp_path, inputs, '<document title="x">\n<rule colour=""></rule>\n</document>\n')
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("t.xml.j2", 2)
    assert problem.message.startswith('<rule>: unknown colour role "" (roles: band, ')


def test_a_nul_in_the_markup_is_one_line(tmp_path, inputs):
    with pytest.raises(InputError) as caught:
        build(tmp_path, inputs, '<\x00document title="x">\n<p>a</p>\n</document>\n')
    assert str(caught.value) == ("t.xml.j2:1: the layout produced invalid markup: Invalid character: "
                                 "Char 0x0 out of allowed range, line 1, column 2")


@pytest.mark.parametrize("brk, shown", [("\n", "\\n"), ("\r", "\\r"), ("\u2028", "\\u2028"), ("\x85", "\\x85")])
def test_a_value_with_a_line_break_is_quoted_on_one_line(brk, shown):
    problem = Problem("r.csv", 2, "colors.primary", f'expected a colour, got "line{brk}break"')
    assert str(problem) == f'r.csv:2: colors.primary: expected a colour, got "line{shown}break"'
    assert len(str(problem).splitlines()) == 1


def test_a_roster_value_with_a_line_break_reads_on_one_line(tmp_path):
    from guidebuilder.load import school_from_source
    from guidebuilder.load.roster import read_roster

    roster = tmp_path / "schools.csv"
    roster.write_bytes(b'name,colors.primary\r\nX,"line\nbreak"\r\n')
    with working_dir(tmp_path):
        [row] = read_roster(roster)
        with pytest.raises(InputError) as caught:
            school_from_source(row.source(), row.slug)
    text = str(caught.value)
    assert len(text.splitlines()) == 1 and 'line\\nbreak' in text, text
