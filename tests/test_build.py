"""Page counts, page sizes, output paths and byte-for-byte reproducible builds."""

from __future__ import annotations

import pytest

from pdfhelpers import GUIDE_FILE, LAYOUTS, PAGE_POINTS, REPO, SCHOOLS, SIZES, guide_data, working_dir, write_guide

COMBOS = [(school, size) for school in SCHOOLS for size in SIZES]


@pytest.mark.parametrize("school,size", COMBOS)
def test_checklist_is_exactly_one_page(built, school, size):
    doc = built(school, "checklist", size)
    assert len(doc.pages) == 1


@pytest.mark.parametrize("school,size", COMBOS)
def test_handout_runs_two_to_four_pages(built, school, size):
    doc = built(school, "handout", size)
    assert 2 <= len(doc.pages) <= 4, f"{school} {size} handout has {len(doc.pages)} pages"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("school,size", COMBOS)
def test_every_page_has_the_requested_size(built, school, layout, size):
    doc = built(school, layout, size)
    want_w, want_h = PAGE_POINTS[size]
    for page in doc.pages:
        box = page.mediabox
        assert float(box.left) == 0 and float(box.bottom) == 0
        assert float(box.width) == pytest.approx(want_w, abs=0.5)
        assert float(box.height) == pytest.approx(want_h, abs=0.5)


def test_school_page_size_is_the_default(inputs_for):
    """Without a page-size override a build uses the school's page_size (letter for all three)."""
    from guidebuilder.pipeline import build_pdf
    from pdfhelpers import reader_of

    inputs = inputs_for("riverbend")
    assert inputs.school.page_size == "letter"
    with working_dir(REPO):
        page = reader_of(build_pdf(inputs, "checklist")).pages[0]
    assert float(page.mediabox.width) == pytest.approx(612, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(792, abs=0.5)


# ---- output paths ------------------------------------------------------------------------


def test_output_path_is_out_school_guide_layout(inputs_for, tmp_path):
    from guidebuilder.pipeline import output_path

    path = output_path(tmp_path, inputs_for("lakeside"), "checklist")
    assert path == tmp_path / "lakeside" / "medical-coder-checklist.pdf"


def test_guide_id_defaults_to_the_file_name(tmp_path):
    from guidebuilder.load import load_guide

    data = guide_data()
    data.pop("id", None)
    guide = load_guide(write_guide(tmp_path / "dental-assistant.yaml", data))
    assert guide.id == "dental-assistant"


# ---- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("school,layout", [("lakeside", "handout"), ("riverbend", "checklist"),
                                           ("default", "handout")])
def test_two_build_pdf_calls_give_identical_bytes(built, inputs_for, school, layout):
    from guidebuilder.pipeline import build_pdf

    first = built(school, layout, "letter").data
    with working_dir(REPO):
        second = build_pdf(inputs_for(school), layout, "letter")
        third = build_pdf(inputs_for(school), layout, "letter")
    assert second == third
    assert first == second


def test_build_into_two_folders_gives_identical_files(inputs_for, tmp_path):
    from guidebuilder.pipeline import build

    with working_dir(REPO):
        first = build(inputs_for("riverbend"), LAYOUTS, tmp_path / "one")
        second = build(inputs_for("riverbend"), LAYOUTS, tmp_path / "deeper" / "two")
    assert [p.name for p in first] == ["medical-coder-handout.pdf", "medical-coder-checklist.pdf"]
    assert [p.relative_to(tmp_path / "one") for p in first] == \
        [p.relative_to(tmp_path / "deeper" / "two") for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes()[:5] == b"%PDF-"
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between output folders"


def test_same_guide_from_another_folder_gives_identical_bytes(tmp_path, built):
    """Where the guide file lives (and its name) must not leak into the PDF."""
    from guidebuilder.pipeline import build_pdf, load_inputs
    from pdfhelpers import school_file

    copy = tmp_path / "elsewhere" / "medical-coder.yaml"
    copy.parent.mkdir()
    copy.write_bytes(GUIDE_FILE.read_bytes())
    with working_dir(REPO):
        pdf = build_pdf(load_inputs(str(copy), str(school_file("default"))), "checklist", "letter")
    assert pdf == built("default", "checklist", "letter").data
