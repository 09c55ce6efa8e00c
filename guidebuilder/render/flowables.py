"""Custom ReportLab flowables that the components compose: bands, badges, QR codes, boxes."""

from __future__ import annotations

from functools import lru_cache

from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable, HRFlowable

from guidebuilder.pdf.reportlab.platypus import CachedParagraph, kept_content, svg_default_font
from guidebuilder.pdf.tagging import Tagged, artifact


class FastParagraph(Tagged, CachedParagraph):
    """A tagged paragraph, parsed once per (text, style) and broken into lines once per width."""


@lru_cache(maxsize=1)
def measuring_canvas():
    """A canvas that is never saved, for measuring flowables before the real build."""
    from io import BytesIO

    from reportlab.pdfgen.canvas import Canvas

    return Canvas(BytesIO())


def stacked_height(flowables, width: float, available: float, skip_flexible: bool = False) -> float:
    """The height a frame needs for `flowables` one under the other (as Frame stacks them)."""
    canvas = measuring_canvas()
    total = 0.0
    for i, f in enumerate(flowables):
        if skip_flexible and getattr(f, "flexible", False):
            continue
        content = kept_content(f)
        if content is not None:
            h = stacked_height(content, width, available)  # KeepTogether.wrap claims huge heights
        else:
            _, h = f.wrapOn(canvas, width, available)
        total += h + f.getSpaceAfter() + (f.getSpaceBefore() if i else 0)
    return total


class Band(Flowable):
    """A full-width colour band holding flowables; its fill runs to the page edges
    (and up to the top edge when it starts the page), so it prints as a bleed band."""

    def __init__(self, content, fill: str, padding: tuple[float, float], geometry, top_margin: float,
                 span: tuple[float, float] | None = None):
        super().__init__()
        self.content, self.fill = unkept(content), fill
        self.pad_top, self.pad_bottom = padding
        self.geometry, self.top_margin = geometry, top_margin
        self.span = span  # a brochure panel's left and right edges (trim coordinates); else the page

    def wrap(self, aw, ah):
        self._sizes = [f.wrapOn(self.canv, aw, ah) for f in self.content]
        inner = sum(h + f.getSpaceAfter() for f, (_, h) in zip(self.content, self._sizes))
        inner -= self.content[-1].getSpaceAfter() if self.content else 0
        self.width, self.height = aw, inner + self.pad_top + self.pad_bottom
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):
        canvas.saveState()
        canvas.setFillColor(HexColor(self.fill))
        left, _, right, page_top = self.geometry.bleed_box
        if self.span is not None:  # a panel: its own edges, bleeding only where it meets the page edge
            trim_left, _, trim_right, _ = self.geometry.trim_box
            x0, x1 = (self.geometry.offset + edge for edge in self.span)
            left = left if x0 <= trim_left + 0.01 else x0
            right = right if x1 >= trim_right - 0.01 else x1
        top = y + self.height
        if page_top - self.geometry.bleed - top <= self.top_margin + 1:  # the band starts the page
            top = page_top
        with artifact(canvas):
            canvas.rect(left, y, right - left, top - y, stroke=0, fill=1)
        canvas.restoreState()
        cursor = y + self.height - self.pad_top
        for flowable, (_, h) in zip(self.content, self._sizes):
            cursor -= h
            flowable.drawOn(canvas, x, cursor)
            cursor -= flowable.getSpaceAfter()


class NumberBadge(Tagged, Flowable):
    """A filled circle with a number: the pathway's step markers."""

    tag_role = "Lbl"

    def __init__(self, number: str, diameter: float, fill: str, ink: str, font: str, size: float):
        super().__init__()
        self.number, self.diameter, self.fill, self.ink = number, diameter, fill, ink
        self.font, self.size = font, size
        self.width = self.height = diameter

    def wrap(self, aw, ah):
        return self.diameter, self.diameter

    def draw(self):
        c, r = self.canv, self.diameter / 2
        c.setFillColor(HexColor(self.fill))
        c.circle(r, r, r, stroke=0, fill=1)
        c.setFillColor(HexColor(self.ink))
        c.setFont(self.font, self.size)
        c.drawCentredString(r, r - self.size * 0.35, self.number)


class TickBox(Tagged, Flowable):
    """A square tick box; with `field` (name, tooltip) also a PDF checkbox that can be ticked
    on screen. The drawn square is what prints when it is left unticked."""

    tag_role = "Form"

    def __init__(self, side: float, stroke: str, line_width: float, offset: float = 0, field=None):
        super().__init__()
        self.side, self.stroke, self.line_width, self.offset = side, stroke, line_width, offset
        self.field = field

    def wrap(self, aw, ah):
        return self.side, self.side + self.offset

    def draw(self):
        self.canv.setStrokeColor(HexColor(self.stroke))
        self.canv.setLineWidth(self.line_width)
        self.canv.roundRect(0, 0, self.side, self.side, self.side * 0.12, stroke=1, fill=0)
        if self.field:
            from reportlab.lib.colors import Color

            name, tooltip = self.field
            clear = Color(1, 1, 1, alpha=0)
            self.canv.acroForm.checkbox(
                name=name, tooltip=tooltip, x=0, y=0, size=self.side, relative=True, buttonStyle="check",
                borderWidth=0, borderColor=clear, fillColor=clear, textColor=HexColor(self.stroke),
                fieldFlags="", annotationFlags="print")


class QRCode(Tagged, Flowable):
    """A QR code drawn as one path (fast; see perf notes), quiet zone included in its size."""

    tag_role = "Figure"

    QUIET = 4

    def __init__(self, matrix, size: float, ink: str = "#000000", url: str | None = None):
        super().__init__()
        self.matrix, self.size, self.ink, self.url = matrix, size, ink, url
        self.width = self.height = size

    def wrap(self, aw, ah):
        return self.size, self.size

    def draw(self):
        n = len(self.matrix) + 2 * self.QUIET
        module = self.size / n
        c = self.canv
        path = c.beginPath()
        for r, row in enumerate(self.matrix):
            y = self.size - (r + self.QUIET + 1) * module
            c0 = None
            for col, dark in enumerate(list(row) + [False]):
                if dark and c0 is None:
                    c0 = col
                elif not dark and c0 is not None:
                    path.rect((c0 + self.QUIET) * module, y, (col - c0) * module, module)
                    c0 = None
        c.setFillColor(HexColor("#FFFFFF"))
        c.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        c.setFillColor(HexColor(self.ink))
        c.drawPath(path, stroke=0, fill=1)
        if self.url:  # on screen, the code is a link too
            c.linkURL(self.url, (0, 0, self.size, self.size), relative=1)


class Picture(Tagged, Flowable):
    """A raster or vector image fitted inside a box, aspect ratio kept, optionally on a card."""

    tag_role = "Figure"

    def __init__(self, image, max_width: float, max_height: float, fonts, card: str | None = None,
                 padding: float = 0, align: str = "left"):
        super().__init__()
        self.image, self.card, self.padding, self.fonts = image, card, padding, fonts
        scale = min(max_width / image.width, max_height / image.height)
        self.image_width, self.image_height = image.width * scale, image.height * scale
        self.width = self.image_width + 2 * padding
        self.height = self.image_height + 2 * padding
        self.hAlign = align.upper()

    def wrap(self, aw, ah):
        return self.width, self.height

    def draw(self):
        c = self.canv
        if self.card:
            c.setFillColor(HexColor(self.card))
            c.roundRect(0, 0, self.width, self.height, min(6, self.padding), stroke=0, fill=1)
        if self.image.kind == "vector":
            drawing = self.image.drawing_for(self.fonts)
            c.saveState()
            c.translate(self.padding, self.padding)
            c.scale(self.image_width / self.image.width, self.image_height / self.image.height)
            if self.image.overflows(self.fonts):  # artwork beyond the SVG's box stays in it
                box = c.beginPath()
                box.rect(0, 0, self.image.width, self.image.height)
                c.clipPath(box, stroke=0, fill=0)
            from reportlab.graphics import renderPDF

            with svg_default_font(self.fonts.regular):
                renderPDF.draw(drawing, c, 0, 0)
            c.restoreState()
        else:
            reader = self.image.reader_for(self.image_width, self.image_height)
            from guidebuilder.pdf.reportlab.rlspeedups import draw_image

            draw_image(c, reader, self.padding, self.padding, self.image_width, self.image_height)


class RuledLines(Flowable):
    """Ruled lines for notes that take whatever height is left above the flowables after it."""

    flexible = True  # its height is whatever is left, so it never makes a page overflow

    def __init__(self, label_para, spacing: float, colour: str, line_width: float, after: list, min_lines: int = 2,
                 gap_after: float = 0):
        super().__init__()
        self.label, self.spacing, self.colour, self.line_width = label_para, spacing, colour, line_width
        self.after, self.min_lines, self.gap_after = after, min_lines, gap_after

    def wrap(self, aw, ah):
        reserved = sum(f.wrapOn(self.canv, aw, ah)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in self.after)
        self._label_h = self.label.wrap(aw, ah)[1]
        room = ah - reserved - self.gap_after - self._label_h - 1
        self.lines = max(0, int(room // self.spacing))
        if self.lines < self.min_lines:  # no room for notes: blank space keeps what follows at the foot
            self.lines, self._label_h = 0, 0
            self.width, self.height = aw, max(0.0, ah - reserved - 1)
        else:
            self.width, self.height = aw, self._label_h + self.lines * self.spacing + self.gap_after
        return self.width, self.height

    def draw(self):
        if not self.lines:
            return
        c = self.canv
        self.label.drawOn(c, 0, self.height - self._label_h)
        with artifact(c):
            c.setStrokeColor(HexColor(self.colour))
            c.setLineWidth(self.line_width)
            for i in range(1, self.lines + 1):
                y = self.height - self._label_h - i * self.spacing
                c.line(0, y, self.width, y)


class PanelStart(Flowable):
    """Marks where a brochure panel's content begins (see pdf/pages.py)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        pass


class ColumnsEnd(Flowable):
    """Marks where the columns end; what follows starts a new full-width page (see pdf/pages.py)."""

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        pass


class ColumnsStart(Flowable):
    """Marks where the story leaves full width and flows through columns (see pdf/pages.py)."""

    def __init__(self, count: int, gutter: float):
        super().__init__()
        self.count, self.gutter = count, gutter

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        pass


def unkept(flowables) -> list:
    """KeepTogether wrappers opened up: a cell or band never breaks anyway, and a KeepTogether
    asked for its size outside a frame claims the height of a whole page."""
    out = []
    for f in flowables:
        content = kept_content(f)
        out.extend(unkept(content) if content is not None else [f])
    return out


class Hairline(HRFlowable):
    """A horizontal rule: decoration, so an artifact in a tagged PDF."""

    def draw(self):
        with artifact(self.canv):
            super().draw()


class Cell:
    """One column of a Row: its flowables, width, padding (left, right, top, bottom), an
    optional fill and an optional rule along one edge (side, width, colour)."""

    __slots__ = ("content", "width", "padding", "fill", "rule", "align")

    def __init__(self, content, width, padding=(0, 0, 0, 0), fill=None, rule=None, align="left"):
        self.content, self.width, self.padding = unkept(content), width, padding
        self.fill, self.rule, self.align = fill, rule, align


def _cell_spacing(content: list) -> list[tuple[float, float]]:
    """Space before and after each flowable in a cell; as in a frame, none above the first or
    below the last, so a cell's padding is the same on every side."""
    last = len(content) - 1
    return [(f.getSpaceBefore() if i else 0.0, f.getSpaceAfter() if i < last else 0.0) for i, f in enumerate(content)]


class Row(Flowable):
    """Cells side by side, each a stack of flowables: what a one-row table draws, without its
    cost (tables are a quarter of the build time). Like a one-row table, it does not split."""

    def __init__(self, cells: list[Cell], valign: str = "top", space_after: float = 0, space_before: float = 0):
        super().__init__()
        self.cells, self.valign = cells, valign
        self.spaceAfter, self.spaceBefore = space_after, space_before
        self.hAlign = "LEFT"

    def wrap(self, aw, ah):
        self._heights = []
        for cell in self.cells:
            left, right, top, bottom = cell.padding
            inner = cell.width - left - right
            sizes = [f.wrapOn(self.canv, inner, ah) for f in cell.content]
            content = sum(h + before + after for (_, h), (before, after) in zip(sizes, _cell_spacing(cell.content)))
            self._heights.append((sizes, content + top + bottom))
        self.width = sum(cell.width for cell in self.cells)
        self.height = max((h for _, h in self._heights), default=0)
        return self.width, self.height

    def draw(self):
        canvas, x = self.canv, 0.0
        for cell, (sizes, needed) in zip(self.cells, self._heights):
            left, right, top, bottom = cell.padding
            if cell.fill or cell.rule:
                with artifact(canvas):
                    self._decorate(canvas, cell, x)
            slack = self.height - needed
            y = self.height - top - {"top": 0, "middle": slack / 2, "bottom": slack}[self.valign]
            inner = cell.width - left - right
            for flowable, (w, h), (before, after) in zip(cell.content, sizes, _cell_spacing(cell.content)):
                y -= before + h
                offset = inner - w if cell.align == "right" or getattr(flowable, "hAlign", "") == "RIGHT" else 0
                flowable.drawOn(canvas, x + left + offset, y)
                y -= after
            x += cell.width

    def _decorate(self, canvas, cell, x):
        """A cell's fill and rule: decoration, an artifact in a tagged PDF."""
        if cell.fill:
            canvas.setFillColor(HexColor(cell.fill))
            canvas.rect(x, 0, cell.width, self.height, stroke=0, fill=1)
        if cell.rule:
            side, line_width, colour = cell.rule
            canvas.setStrokeColor(HexColor(colour))
            canvas.setLineWidth(line_width)
            if side == "left":
                canvas.line(x + line_width / 2, 0, x + line_width / 2, self.height)
            else:
                canvas.line(x, self.height - line_width / 2, x + cell.width, self.height - line_width / 2)
