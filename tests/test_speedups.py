"""The caches around ReportLab (guidebuilder/pdf/reportlab/ttfcache.py, rlspeedups.py, and the disk cache of
parsed fonts, SVG logos and QR codes) must never change a byte: the same documents built by plain
ReportLab, with cold caches and with warm ones (in the process and on disk) are identical."""

from __future__ import annotations

import io
import json
import os
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
    import guidebuilder.pdf.reportlab.rlspeedups, guidebuilder.pdf.reportlab.ttfcache
    guidebuilder.pdf.reportlab.ttfcache.CachedTTFont = lambda name, path, digest: TTFont(name, path)
    guidebuilder.pdf.reportlab.rlspeedups.install = lambda: None
    guidebuilder.pdf.reportlab.rlspeedups.draw_image = lambda c, reader, x, y, w, h: c.drawImage(reader, x, y, w, h, mask="auto")
from guidebuilder.pipeline import build_pdf, load_inputs
digests = []
for _ in range(2):
    for school in ("default", "lakeside", "riverbend"):
        inputs = load_inputs(None, school)
        for layout in ("handout", "checklist"):
            digests.append(hashlib.sha256(build_pdf(inputs, layout)).hexdigest())
print(json.dumps(digests))
"""


def _digests(mode: str, cache: Path) -> list[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("GUIDEBUILDER_NO_CACHE", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True,
                            check=True, env=env)
    return json.loads(result.stdout)


@pytest.mark.slow
def test_cached_fonts_and_memos_write_exactly_what_reportlab_writes(tmp_path):
    plain = _digests("plain", tmp_path / "unused")
    cold = _digests("cached", tmp_path / "cache")
    kinds = sorted(p.name.split("-")[0] for p in (tmp_path / "cache" / "guidebuilder").iterdir())
    warm = _digests("cached", tmp_path / "cache")  # fonts, logos and QR codes from the disk cache
    assert len(set(plain)) == 6, "six different documents"
    assert plain[:6] == plain[6:]
    assert cold[:6] == plain[:6], "cold caches changed the output"
    assert cold[6:] == plain[:6], "warm in-process caches changed the output"
    assert {"qr", "svg", "ttf"} <= set(kinds), kinds
    assert warm == plain, "the disk cache changed the output"


@pytest.fixture()
def fonts():
    from reportlab.pdfbase.ttfonts import TTFont

    from guidebuilder.render.fonts import default_font_dir
    from guidebuilder.pdf.reportlab.ttfcache import CachedTTFont

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

    from guidebuilder.render.fonts import default_font_dir, register_font

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

    from guidebuilder.pdf.reportlab import rlspeedups
    before = acroform.cbmarks["check"].scaledRender(20)
    name = pdfdoc.PDFName("Font Descriptor(1)")
    rlspeedups.install()
    wrapped = pdfdoc.PDFName
    rlspeedups.install()
    assert pdfdoc.PDFName is wrapped, "a second install must not wrap again"
    assert acroform.cbmarks["check"].scaledRender(20) == before
    assert before.endswith(" h f") and " c " in before  # a closed, filled path of curves
    assert pdfdoc.PDFName("Font Descriptor(1)") == name == "/Font#20Descriptor#281#29"



def test_disk_cache_recomputes_a_damaged_entry_and_can_be_turned_off(tmp_path, monkeypatch):
    from guidebuilder.diskcache import cached

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    calls = []

    def compute():
        calls.append(1)
        return {"matrix": (True, False)}

    assert cached("probe", b"key", compute) == {"matrix": (True, False)}
    assert cached("probe", b"key", compute) == {"matrix": (True, False)}
    assert len(calls) == 1, "the second call read the entry"
    [entry] = [p for p in (tmp_path / "guidebuilder").rglob("*") if p.is_file()]
    entry.write_bytes(b"not a pickle")
    assert cached("probe", b"key", compute) == {"matrix": (True, False)}
    assert len(calls) == 2, "a damaged entry is computed again"
    assert cached("probe", b"key", compute) and len(calls) == 2, "and replaced"
    monkeypatch.setenv("GUIDEBUILDER_NO_CACHE", "1")
    cached("probe", b"key", compute)
    assert len(calls) == 3


def test_disk_cache_in_an_unwritable_place_still_computes(tmp_path, monkeypatch):
    from guidebuilder.diskcache import cached

    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    assert cached("probe", b"key", lambda: 42) == 42


def test_an_svg_that_pulls_in_other_files_is_not_cached(tmp_path, monkeypatch):
    from guidebuilder.render import assets
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    (tmp_path / "dot.png").write_bytes((ROOT / "content/schools/riverbend/logo.png").read_bytes())
    linked = tmp_path / "linked.svg"
    linked.write_text('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                      'width="20" height="10"><image xlink:href="dot.png" width="20" height="10"/></svg>')
    plain = tmp_path / "plain.svg"
    plain.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
                     '<rect width="20" height="10" fill="#0B4F6C"/></svg>')
    for svg in (linked, plain):
        assert assets._load_svg(svg).width == 15  # 20 px in points
    [folder] = (tmp_path / "cache" / "guidebuilder").iterdir()
    assert len(list(folder.iterdir())) == 1, "only the self-contained SVG is kept"


def test_disk_cache_folder_is_kept_private(tmp_path, monkeypatch):
    from guidebuilder.diskcache import cached

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    (tmp_path / "guidebuilder").mkdir()
    (tmp_path / "guidebuilder").chmod(0o777)  # made under a permissive umask
    assert cached("probe", b"key", lambda: 7) == 7
    assert (tmp_path / "guidebuilder").stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o022 == 0 for p in (tmp_path / "guidebuilder").iterdir())


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give the folder away")
def test_disk_cache_ignores_a_folder_of_another_user(tmp_path, monkeypatch):
    from guidebuilder.diskcache import cached

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    (tmp_path / "guidebuilder").mkdir()
    os.chown(tmp_path / "guidebuilder", 65534, 65534)
    calls = []
    for _ in range(2):
        cached("probe", b"key", lambda: calls.append(1) or 7)
    assert len(calls) == 2, "entries are pickles: another user's folder is never read"
    assert not list((tmp_path / "guidebuilder").iterdir())


def test_disk_cache_keeps_the_recently_used(tmp_path, monkeypatch):
    from guidebuilder.diskcache import cached

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    for i in range(300):
        cached("probe", f"k{i}".encode(), lambda: i, keep=20)
        if i % 10 == 0:
            assert cached("probe", b"k0", lambda: "recomputed", keep=20) == 0, "k0 is in use: it stays"
    [folder] = (tmp_path / "guidebuilder").iterdir()
    assert len(list(folder.iterdir())) < 100, "old entries are pruned"
