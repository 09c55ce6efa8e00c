"""ReportLab's font registry (pdfmetrics._fonts).

pdfmetrics.registerFont gives every font whose internal name was seen before the font object
registered first, so one school's version of a family (say its own Lato) would print with
another school's. Ours are named by their bytes, so each is registered as itself, and a batch
worker forgets fonts no school needs any more.
"""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics


def register_as_itself(name: str, font) -> None:
    """Register `font` under `name` (and as a family of one), replacing whatever had that name."""
    pdfmetrics._fonts[name] = font
    pdfmetrics.registerFontFamily(name)


def forget(name: str) -> None:
    """Drop a registered font (it is registered again if a later document needs it)."""
    pdfmetrics._fonts.pop(name, None)
