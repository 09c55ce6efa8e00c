"""guidebuilder/pdf/reportlab/ holds every use of ReportLab's internals, and refuses a ReportLab
they were not written for with a clear error (not a traceback from deep inside ReportLab)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import reportlab

import guidebuilder.pdf.reportlab as internals
from guidebuilder.errors import BuildError

PACKAGE = Path(internals.__file__).resolve().parents[2]   # guidebuilder/


@pytest.mark.parametrize("version", ["5.1.0", "5.1.3", "5.1.12"])
def test_the_supported_release_passes(version):
    internals.check_version(version)


@pytest.mark.parametrize("version", ["4.2.5", "5.0.9", "5.2.0", "5.10.1", "6.0", "5"])
def test_another_release_is_refused_with_the_fix(version):
    with pytest.raises(BuildError) as raised:
        internals.check_version(version)
    assert str(raised.value) == (f"ReportLab {version} is installed; guidebuilder needs 5.1.x: "
                                 f"pip install 'reportlab>=5.1,<5.2'")


def test_importing_the_package_checks_the_installed_reportlab(monkeypatch):
    monkeypatch.setattr(reportlab, "Version", "5.2.1")
    try:
        with pytest.raises(BuildError, match=r"^ReportLab 5\.2\.1 is installed; guidebuilder needs 5\.1\.x"):
            importlib.reload(internals)
    finally:
        monkeypatch.undo()
        importlib.reload(internals)


def test_build_with_another_reportlab_prints_the_error_not_a_traceback(tmp_path):
    # A fresh interpreter in which ReportLab claims another release, then the real command.
    probe = ("import sys, reportlab; reportlab.Version = '4.4.0'; "
             "from guidebuilder.cli import main; sys.argv = ['guidebuilder', 'build']; main()")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={"GUIDEBUILDER_NO_CACHE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert "error: ReportLab 4.4.0 is installed; guidebuilder needs 5.1.x: pip install 'reportlab>=5.1,<5.2'" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").rglob("*.pdf"))


PRIVATE_REPORTLAB = re.compile(
    r"\.(_code|_pageNumber|_setAnnotations|_addAnnotation|_startPage|_annotationrefs|_doc|_filename|_fonts|"
    r"_content|_bullet|_flowable|_renderCB|_width|_height|_wrapWidths|_pdfVersion|_setXObjects|_formsinuse|"
    r"_currentPageHasImages|_assignState|_asciiReadable)\b|__NoDefault__|__accum__|STATE_DEFAULTS")


def test_reportlab_internals_are_used_only_in_pdf_reportlab():
    outside, scanned = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[:2] == ("pdf", "reportlab"):
            continue
        scanned += 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if PRIVATE_REPORTLAB.search(code) and not code.lstrip().startswith(("\"", "'")):
                outside.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert scanned > 30  # the whole package was read
    assert outside == []
