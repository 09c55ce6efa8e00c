"""Embedded TrueType font families, registered once per process.

Never one of the 14 standard PDF fonts: they are not embedded and print differently
everywhere. A font that cannot be loaded is an error, never a quiet fallback.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import BuildError

STYLES = ("regular", "bold", "italic", "bold_italic")
LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_FONT_BYTES = 30_000_000  # the largest families (CJK) are about 20 MB


@dataclass(frozen=True)
class FontFamily:
    """ReportLab font names of one registered family."""

    regular: str
    bold: str
    italic: str
    bold_italic: str
    family: str

    def for_weight(self, weight: str) -> str:
        return {"bold": self.bold, "italic": self.italic, "bold_italic": self.bold_italic}.get(weight, self.regular)


def default_font_dir() -> Path:
    spec = importlib.util.find_spec("font_source_sans_pro")
    if not spec or not spec.submodule_search_locations:
        raise BuildError.at(None, None, "", "the default font package is missing: pip install font-source-sans-pro")
    return Path(next(iter(spec.submodule_search_locations))) / "files"


MAX_REGISTERED_FONTS = 64  # a batch worker meets every school's fonts: keep the most recently used

_registered: "OrderedDict[tuple, str]" = OrderedDict()  # (path, mtime, family tag) -> ReportLab name


def _register(path: Path, mtime: float, family_tag: str = "") -> str:
    key = (path, mtime, family_tag)
    name = _registered.get(key)
    if name is not None:
        _registered.move_to_end(key)
        return name
    name = _registered[key] = _register_file(path, family_tag)
    while len(_registered) > MAX_REGISTERED_FONTS:
        _, old = _registered.popitem(last=False)
        if old not in _registered.values():
            from guidebuilder.pdf.reportlab import fonts as registry

            registry.forget(old)  # registered again if a later school needs it
    return name


def _register_file(path: Path, family_tag: str) -> str:
    import struct

    from reportlab.pdfbase.ttfonts import TTFError

    from guidebuilder.pdf.reportlab import fonts as registry
    from guidebuilder.pdf.reportlab.ttfcache import CachedTTFont

    # A stable name from the file's bytes keeps rebuilds byte-identical across folders; the
    # family tag keeps two families that share a file (same regular, other bold) apart, since
    # ReportLab looks up bold and italic faces by the regular face's name.
    digest = _file_digest(path, path.stat().st_mtime)
    name = f"{path.stem[:40]}-{digest[:8]}" + (f"-{family_tag}" if family_tag else "")
    try:
        font = CachedTTFont(name, str(path), digest)
    except (TTFError, OSError, ValueError, KeyError, IndexError, AssertionError, struct.error) as exc:
        text = str(exc).lower()
        if "postscript outlines" in text:
            why = "it has PostScript (CFF) outlines, as many .otf files do"
        elif "not a recognized truetype" in text or "not a truetype" in text:
            why = "it is not a TrueType font file"
        else:
            why = "the file is damaged or uses a format ReportLab cannot embed"
        raise BuildError.at(path, None, "", f"cannot embed this font: {why}",
                             "use a TrueType (.ttf) file (glyf outlines), e.g. the family's TTF release") from None
    if not any(ord(c) in font.face.charToGlyph for c in LATIN_LETTERS):
        # Else every text of the guide and the school would be blamed, one by one, for it.
        raise BuildError.at(path, None, "", "the font has no Latin letters (A-Z, a-z), which every guide prints "
                             "(web addresses, e-mail)", "use a font that covers Latin text")
    # Not pdfmetrics.registerFont: it would give a school another school's version of a family.
    registry.register_as_itself(name, font)
    return name


def register_font(path: Path, family_tag: str = "") -> str:
    path = Path(path).resolve()
    return _register(path, path.stat().st_mtime, family_tag)


@lru_cache(maxsize=256)
def _file_digest(path: Path, mtime: float) -> str:
    """SHA-1 of a font file (read once per version of the file), within the size limit."""
    from guidebuilder.render.assets import Refused, read_regular

    try:  # a regular file within the limit: a named pipe would block
        return hashlib.sha1(read_regular(path, MAX_FONT_BYTES, "font file")).hexdigest()
    except Refused as exc:
        raise BuildError.at(path, None, "", str(exc)) from None


def register_family(files: tuple[Path, Path, Path, Path]) -> FontFamily:
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    paths = [Path(f).resolve() for f in files]
    digests = [_file_digest(f, f.stat().st_mtime) for f in paths]
    tag = hashlib.sha1("\0".join(digests).encode()).hexdigest()[:8]
    names = [register_font(f, tag) for f in paths]
    registerFontFamily(names[0], normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3])
    return FontFamily(*names, family=names[0])
