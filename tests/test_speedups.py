"""The per-process caches around ReportLab (guidebuilder/ttfcache.py, guidebuilder/rlspeedups.py)
must never change a byte: the same documents built by plain ReportLab, by a cold cache and by a
warm one are identical."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Builds default, lakeside and riverbend (handout + checklist) in one process, twice, and prints
# the SHA-256 of every PDF; with "plain" it first swaps the caches for stock ReportLab.
SCRIPT = r"""
import hashlib, json, sys
plain = sys.argv[1] == "plain"
if plain:
    from reportlab.pdfbase.ttfonts import TTFont
    import guidebuilder.rlspeedups, guidebuilder.ttfcache
    guidebuilder.ttfcache.CachedTTFont = lambda name, path: TTFont(name, path)
    guidebuilder.rlspeedups.install = lambda: None
from guidebuilder.pipeline import build_pdf, load_inputs
digests = []
for _ in range(2):
    for school in ("default", "lakeside", "riverbend"):
        inputs = load_inputs(None, school)
        for layout in ("handout", "checklist"):
            digests.append(hashlib.sha256(build_pdf(inputs, layout)).hexdigest())
print(json.dumps(digests))
"""


def _digests(mode: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def test_cached_fonts_and_memos_write_exactly_what_reportlab_writes():
    plain, cached = _digests("plain"), _digests("cached")
    assert len(set(plain)) == 6, "six different documents"
    assert plain[:6] == plain[6:]
    assert cached[:6] == plain[:6], "a cold cache changed the output"
    assert cached[6:] == plain[:6], "a warm cache changed the output"


@pytest.fixture()
def fonts():
    from reportlab.pdfbase.ttfonts import TTFont

    from guidebuilder.fonts import default_font_dir
    from guidebuilder.ttfcache import CachedTTFont

    path = str(sorted(default_font_dir().glob("*-Regular.ttf"))[0])
    return TTFont("plain-test", path), CachedTTFont("cached-test", path)


@pytest.mark.parametrize("text", ["Medical coders", "", " ", "ICD-10-CM & CPT <codes> 100%", "tab\there",
                                  "caf\u00e9 \u2013 \u201cquoted\u201d", "March\u00a014", "\x7fdel", "~`{}|"])
def test_encoding_text_matches_reportlab(fonts, text):
    plain, cached = fonts
    plain_doc, cached_doc = object.__new__(type("Doc", (), {})), object.__new__(type("Doc", (), {}))
    for before in ("", "\u2022 \u00e9", text):  # on a fresh document and after other characters
        if before:
            plain.splitString(before, plain_doc)
            cached.splitString(before, cached_doc)
        assert cached.splitString(text, cached_doc) == plain.splitString(text, plain_doc)


def test_subset_objects_are_cached_per_font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen.canvas import Canvas

    from guidebuilder.fonts import default_font_dir, register_font

    name = register_font(sorted(default_font_dir().glob("*-Regular.ttf"))[0])
    font = pdfmetrics.getFont(name)
    counts = []
    for _ in range(2):
        canvas = Canvas(io.BytesIO(), invariant=1, initialFontName=name)
        canvas.setFont(name, 12)
        canvas.drawString(72, 72, "Medical coding \u2013 a rare \u2603 career")
        canvas.save()
        counts.append(len(font._subsets))
    assert counts[1] == counts[0] >= 1, "the second document reused the first one's subset"


def test_install_wraps_once_and_keeps_results():
    from reportlab.pdfbase import acroform, pdfdoc

    from guidebuilder import rlspeedups

    before = acroform.cbmarks["check"].scaledRender(20)
    name = pdfdoc.PDFName("Font Descriptor(1)")
    rlspeedups.install()
    wrapped = pdfdoc.PDFName
    rlspeedups.install()
    assert pdfdoc.PDFName is wrapped, "a second install must not wrap again"
    assert acroform.cbmarks["check"].scaledRender(20) == before
    assert before.endswith(" h f") and " c " in before  # a closed, filled path of curves
    assert pdfdoc.PDFName("Font Descriptor(1)") == name == "/Font#20Descriptor#281#29"

