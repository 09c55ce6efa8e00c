"""Every use of ReportLab's internals (private attributes and functions, patches, copies of its
code) lives in this package, behind small named functions, so the rest of guidebuilder uses
only ReportLab's public API plus these:

* `canvas`: hooks into Canvas page and annotation handling, raw content-stream operators and
  the PDF file writer (for tagged PDF, see guidebuilder/pdf/tagging.py);
* `platypus`: the insides of KeepTogether, ListFlowable items, Table render callbacks, Frame
  sizes, Paragraph parse and line-break caching, the SVG renderer's default font;
* `fonts`: ReportLab's font registry;
* `rlspeedups`, `ttfcache`: memos around pure ReportLab functions and parsed TrueType files.

They were written for, and are tested against (tests/test_tagging.py, tests/test_speedups.py),
one ReportLab minor release: importing this package refuses any other with a clear error
rather than a traceback or silently wrong PDF from deep inside ReportLab.
"""

from __future__ import annotations

from guidebuilder.errors import BuildError

SUPPORTED = (5, 1)  # the pin in pyproject.toml: reportlab>=5.1,<5.2
NEEDED = f"{SUPPORTED[0]}.{SUPPORTED[1]}.x"
INSTALL = f"pip install 'reportlab>={SUPPORTED[0]}.{SUPPORTED[1]},<{SUPPORTED[0]}.{SUPPORTED[1] + 1}'"


def check_version(version: str) -> None:
    """Raise BuildError unless `version` (ReportLab's, e.g. "5.1.0") is the supported minor release."""
    release = tuple(int(part) if part.isdigit() else -1 for part in version.split(".")[:2])
    if release != SUPPORTED:
        raise BuildError.at(None, None, "", f"ReportLab {version} is installed; guidebuilder needs {NEEDED}: {INSTALL}")


def _installed_version() -> str:
    import reportlab

    return reportlab.Version


check_version(_installed_version())
