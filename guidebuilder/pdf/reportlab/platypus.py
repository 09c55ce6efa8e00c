"""Platypus internals: what KeepTogether and ListFlowable hold, Table render callbacks, Frame
sizes, Paragraph parse and line-break caching and the SVG renderer's default font.

Relies on (covered by tests/test_tagging.py and the byte-identity tests): KeepTogether._content,
ListFlowable._content of LIIndenters with _bullet / _flowable, Table._renderCB (passed on to the
parts of a split table), Frame._width / _height, Paragraph's frags / bulletText constructor
arguments and its blPara / _wrapWidths after wrap, reportlab.graphics.shapes.STATE_DEFAULTS.
"""

from __future__ import annotations

from contextlib import contextmanager

from reportlab.platypus import KeepTogether, Paragraph


def kept_content(flowable) -> list | None:
    """The flowables a KeepTogether holds, or None for any other flowable."""
    return flowable._content if isinstance(flowable, KeepTogether) else None


def list_items(flowable) -> list:
    """A ListFlowable's items (LIIndenters, one per item)."""
    return flowable._content


def item_bullet(item):
    """An item's bullet drawer, or None (the parts of a split item after the first)."""
    return item.__dict__.get("_bullet")


def set_item_bullet(item, bullet) -> None:
    item._bullet = bullet


def item_body(item):
    """The flowable an item holds next to its bullet."""
    return item.__dict__["_flowable"]


def set_render_callback(table, callback) -> None:
    """Have `table` call `callback(table, event, *args)` as it draws (startRow, startCell, ...)."""
    table._renderCB = callback


def frame_size(frame) -> tuple[float, float]:
    """The width and height a Frame leaves its flowables (inside its padding)."""
    return frame._width, frame._height


@contextmanager
def svg_default_font(font_name: str):
    """Within the block, the SVG renderer starts with `font_name` instead of Helvetica, which
    would add a font the PDF does not embed."""
    from reportlab.graphics.shapes import STATE_DEFAULTS

    default_font = STATE_DEFAULTS["fontName"]
    STATE_DEFAULTS["fontName"] = font_name
    try:
        yield
    finally:
        STATE_DEFAULTS["fontName"] = default_font


class CachedParagraph(Paragraph):
    """A Paragraph that parses each (text, style) once per process and breaks its lines once
    per width. Styles are shared by value across schools (see Theme.style), so in a batch the
    guide's body text is parsed and broken into lines once per worker, not once per school."""

    _parsed: dict = {}
    _broken: dict = {}

    @classmethod
    def make(cls, text: str, style) -> "CachedParagraph":
        key = (text, id(style))
        parsed = cls._parsed.get(key)
        if parsed is not None and parsed[3] is not style:  # an id reused after its style was freed
            parsed = None
        if parsed is None:
            if len(cls._parsed) > 3000:  # bounded: a batch worker sees every school's own texts
                cls._parsed.clear()
                cls._broken.clear()
            paragraph = cls(text, style)
            cls._parsed[key] = (paragraph.style, paragraph.frags, paragraph.bulletText, style)
        else:
            paragraph = cls(text, parsed[0], bulletText=parsed[2], frags=parsed[1])
        paragraph._key, paragraph._source_style = key, style  # holding the style keeps its id ours
        return paragraph

    def wrap(self, availWidth, availHeight):
        if getattr(self, "_wrapped_at", None) == availWidth and hasattr(self, "blPara"):
            return self.width, self.height
        key = getattr(self, "_key", None)
        broken = self._broken.get((key, availWidth)) if key else None
        if broken is not None and broken[3] is self._source_style:
            self.blPara, self.height, self._wrapWidths = broken[:3]
            self.width = availWidth
        else:
            super().wrap(availWidth, availHeight)
            if key:
                self._broken[(key, availWidth)] = (self.blPara, self.height, self._wrapWidths, self._source_style)
        self._wrapped_at = availWidth
        return self.width, self.height
