"""A TrueType font whose per-document work is done once per process, not once per PDF,
and whose file is parsed once per machine (the parse is kept in the disk cache).

ReportLab re-does two things for every document that do not depend on the document:
encoding each run of text into subset codes (`splitString`, called for every line drawn)
and, when the PDF is written, cutting each font subset out of the font file, compressing
it and formatting its widths and ToUnicode map. The same guide gives the same subsets in
every school's handout, so a batch (or a rebuild) pays for them once. The bytes written are
exactly those ReportLab writes.

Relies on ReportLab internals (pinned in pyproject.toml, covered by tests/test_speedups.py):
TTFont.__init__, TTFont.State (assignments, subsets, frozen, ASCII codes 32-127 fixed in subset 0
when asciiReadable), TTFont.addObjects, TTFontFace.addSubsetObjects and the TTFontFace attributes
set by parsing (all plain data but the `_pdfScale` function) as of 5.1.
"""

from __future__ import annotations

import zlib
from fnmatch import fnmatch
from weakref import WeakKeyDictionary, WeakValueDictionary

from reportlab import Version, rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import (FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTEncoding, TTFont, TTFontFace,
                                       makeToUnicodeCMap)

MAX_CACHED_SUBSETS = 64  # per font: a few layouts x a few guides; a subset is about 10 kB


class _Compressed:
    """A stream filter whose output is already known (the cached compressed bytes)."""

    pdfname = "FlateDecode"

    def __init__(self, data: bytes):
        self.data = data

    def encode(self, _content) -> bytes:
        return self.data


class _Subset:
    """The document-independent parts of one font subset, formatted and compressed."""

    __slots__ = ("widths", "cmap", "cmap_z", "font_file", "font_file_z")

    def __init__(self, font: TTFont, base_name: str, codes: tuple[int, ...]):
        face = font.face
        self.widths = pdfdoc.PDFArray(list(map(face.getCharWidth, codes))).format(None)
        self.cmap = makeToUnicodeCMap(base_name, codes)
        self.cmap_z = zlib.compress(self.cmap.encode("latin-1") if isinstance(self.cmap, str) else self.cmap)
        self.font_file = face.makeSubset(list(codes))
        self.font_file_z = zlib.compress(self.font_file)


def _stream(content: bytes, compressed: bytes, compression: bool) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream()
    stream.content = content
    if compression:
        stream.filters = [_Compressed(compressed)]
    return stream


class CachedTTFont(TTFont):
    """TTFont with a per-process cache of text encodings and subset objects."""

    def __init__(self, name: str, filename: str, digest: str = ""):
        """`digest`, a hash of the file's bytes, lets the parsed face come from the disk cache."""
        if not digest:
            super().__init__(name, filename)
        else:  # as TTFont.__init__, with the face restored instead of parsed
            self.fontName = name
            self.face = _face(filename, digest)
            self.encoding = TTEncoding()
            self.state = WeakKeyDictionary()
            self._asciiReadable = rl_config.ttfAsciiReadable
            self.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob)
        char_to_glyph = self.face.charToGlyph
        # With asciiReadable, printable ASCII has fixed codes in subset 0 (0 where the font has
        # no glyph), the same in every document: one byte translation encodes it.
        self._ascii_codes = bytes(c if (c >= 32 and c in char_to_glyph) else 0 for c in range(256))
        self._subsets: dict[tuple[str, tuple[int, ...]], _Subset] = {}

    def splitString(self, text, doc, encoding="utf-8"):
        if self._asciiReadable and isinstance(text, str) and text.isascii() and text.isprintable() and text:
            state = self.state.get(doc)
            if state is None:
                state = self.state[doc] = TTFont.State(self._asciiReadable, self)
            if state.__dict__.get("ascii_fixed") is None:
                # a state made elsewhere without the face assigns every ASCII code: check once
                assignments = state.assignments
                state.ascii_fixed = all(assignments.get(c, 0) == self._ascii_codes[c] for c in range(32, 127))
            if state.ascii_fixed:
                return [(0, text.encode("ascii").translate(self._ascii_codes))]
        return super().splitString(text, doc, encoding)

    def _subset(self, base_name: str, codes: tuple[int, ...]) -> _Subset:
        key = (base_name, codes)
        subset = self._subsets.get(key)
        if subset is None:
            if len(self._subsets) >= MAX_CACHED_SUBSETS:
                self._subsets.pop(next(iter(self._subsets)))
            subset = self._subsets[key] = _Subset(self, base_name, codes)
        return subset

    def addObjects(self, doc):
        """As TTFont.addObjects, with each subset's font file, widths and ToUnicode map cached."""
        state = self._assignState(doc)
        state.frozen = 1
        face = self.face
        for n, codes in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            subset = self._subset(base_name, tuple(codes))

            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = "Font %s subset %d" % (self.fontName, n)
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(codes) - 1
            pdf_font.Widths = subset.widths
            cmap = _stream(subset.cmap, subset.cmap_z, doc.compression)
            pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
            pdf_font.FontDescriptor = self._descriptor(doc, base_name, subset)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]

    def _descriptor(self, doc, base_name: str, subset: _Subset):
        """As TTFontFace.addSubsetObjects, with the subset's font file from the cache."""
        face = self.face
        font_file = _stream(subset.font_file, subset.font_file_z, doc.compression)
        font_file.dictionary["Length1"] = len(subset.font_file)
        font_file_ref = doc.Reference(font_file, "fontFile:%s(%s)" % (face.filename, base_name))
        flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": flags,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_name),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": font_file_ref,
            "MissingWidth": face.defaultWidth,
        })
        return doc.Reference(descriptor, "fontDescriptor:" + base_name)



_FACES: "WeakValueDictionary[str, TTFontFace]" = WeakValueDictionary()  # digest -> face, while a font uses it


def _face(filename: str, digest: str) -> TTFontFace:
    """The parsed face of a font file: one per distinct file in a process (registered under
    several names it is shared), parsed once per machine (kept in the disk cache)."""
    face = _FACES.get(digest)
    if face is None:
        face = _FACES[digest] = _restored_face(filename, digest)
    return face


def _restored_face(filename: str, digest: str) -> TTFontFace:
    from guidebuilder.diskcache import cached

    def parse() -> dict:
        state = dict(vars(TTFontFace(filename)))
        del state["_pdfScale"]  # a lambda (cannot be pickled): rebuilt below from unitsPerEm
        return state

    state = cached(f"ttf-reportlab{Version}", digest.encode(), parse, keep=64)  # the same bytes anywhere
    face = TTFontFace.__new__(TTFontFace)
    face.__dict__.update(state)
    face.filename = filename
    units = face.unitsPerEm
    if units == 1000:
        face._pdfScale = lambda x: x
    else:
        factor = 1000 / units
        face._pdfScale = lambda x: x * factor
    return face
