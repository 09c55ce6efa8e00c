"""Every layout, page size and sample school passes the `pdfua` checker (PDF/UA-1) with no findings."""

import pytest

pdfua = pytest.importorskip("pdfua")

from guidebuilder.pdf.geometry import PrintOptions  # noqa: E402
from guidebuilder.pipeline import build_pdf, load_inputs  # noqa: E402

SCHOOLS = ["default", "lakeside", "riverbend", "summit-ridge"]


# The quick subset checks every layout for the default school on letter paper.
@pytest.mark.parametrize("size", ["letter", pytest.param("a4", marks=pytest.mark.slow)])
@pytest.mark.parametrize("layout", ["handout", "checklist", "brochure"])
@pytest.mark.parametrize("school", [SCHOOLS[0], *(pytest.param(s, marks=pytest.mark.slow) for s in SCHOOLS[1:])])
def test_no_pdfua_findings(tmp_path, school, layout, size):
    path = tmp_path / f"{school}-{layout}-{size}.pdf"
    path.write_bytes(build_pdf(load_inputs(None, school), layout, size))
    report = pdfua.validate(str(path))
    assert [f"{f.rule_id}: {f.message}" if hasattr(f, "rule_id") else str(f) for f in report.findings] == []


def test_no_pdfua_findings_in_print_mode(tmp_path):
    path = tmp_path / "print.pdf"
    path.write_bytes(build_pdf(load_inputs(None, "riverbend"), "checklist", None,
                               PrintOptions(bleed=9, crop_marks=True, cmyk=True)))
    assert list(pdfua.validate(str(path)).findings) == []
