"""Block elements: tables, callouts, panels, columns, grids and spacing."""

from __future__ import annotations

from guidebuilder.render.components.base import (Attr, Component, MarkupError, boolean, choice, length, numbers, register,
                                          rich)
from guidebuilder.render.components.text import paragraph
from guidebuilder.pdf.tagging import tag


def box(content: list, fill: str, padding: float, width: float, rule: str | None = None, rule_side: str = "left",
        rule_width: float = 3.0):
    """Flowables on a fill with equal padding all round: the shape of callouts and panels."""
    from guidebuilder.render.flowables import Cell, Row

    rule_spec = (rule_side, rule_width, rule) if rule else None
    return Row([Cell(content, width, (padding,) * 4, fill, rule_spec)])


@register
class Cell(Component):
    tag, role, children = "cell", "TD", "inline"
    doc = "One table cell (inline text)."
    attributes = {}


@register
class Row(Component):
    tag, role, children = "row", "TR", ("cell",)
    min_children = 1
    doc = "One table row of <cell> elements."
    attributes = {}


@register
class Table(Component):
    tag, role, children = "table", "Table", ("row",)
    min_children = 1
    doc = "A table; the first row is the header and repeats when the table breaks across pages."
    attributes = {
        "widths": Attr(numbers, doc='relative column widths, e.g. "1,1,2"; default: sized to the text'),
        "header": Attr(boolean, True, doc="whether the first row is a header row"),
    }

    def build(self, ctx):
        from reportlab.lib.colors import HexColor
        from reportlab.platypus import Table as RLTable

        theme = ctx.theme
        header = self["header"]
        rows = []
        for r, row in enumerate(self.kids):
            style = "table"
            rows.append([paragraph(ctx, (f"<b>{c.inline}</b>" if header and r == 0 else c.inline), style)
                         for c in row.kids])
        columns = max(len(r) for r in rows)
        rows = [r + [""] * (columns - len(r)) for r in rows]
        width = ctx.available_width
        pad = theme.space("panel_padding") * theme.detail("shares", "table_cell_padding")
        if self["widths"]:
            weights = self["widths"]
            if len(weights) != columns:

                raise MarkupError(self.line, f"<table widths> names {len(weights)} columns, the rows have {columns}")
            col_widths = [width * w / sum(weights) for w in weights]
        else:
            texts = [[c.inline for c in row.kids] + [""] * (columns - len(row.kids)) for row in self.kids]
            col_widths = column_widths(texts, width, theme.fonts.regular, theme.fonts.bold, theme.size("table")[0],
                                       pad, header, theme.detail("tables", "column_floor"))
        narrowest = min(range(columns), key=lambda c: col_widths[c])
        if col_widths[narrowest] - 2 * pad < MIN_COLUMN_TEXT:
            given = f' widths="{",".join(f"{w:g}" for w in self["widths"])}"' if self["widths"] else ""
            raise MarkupError(self.line, f"<table{given}>: column {narrowest + 1} would be "
                                         f"{col_widths[narrowest] / 72:.2f} in wide, too narrow for its text (at "
                                         f"least {(MIN_COLUMN_TEXT + 2 * pad) / 72:.2f} in); give it a larger share "
                                         f"or the table more room")
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("FONTNAME", (0, 0), (-1, -1), theme.fonts.regular),
                 ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                 ("TOPPADDING", (0, 0), (-1, -1), pad * theme.detail("shares", "table_cell_top")), ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                 ("LINEBELOW", (0, 0), (-1, -1), theme.space("rule"), HexColor(theme.colour("rule")))]
        if header:
            style += [("BACKGROUND", (0, 0), (-1, 0), HexColor(theme.colour("table_header"))),
                      ("LINEBELOW", (0, 0), (-1, 0), theme.space("rule") * theme.detail("shares", "table_header_rule"),
                       HexColor(ctx.ink("heading")))]
        table = tag(RLTable(rows, colWidths=col_widths, repeatRows=1 if header else 0, style=style, hAlign="LEFT",
                            spaceAfter=theme.space("block"),
                            spaceBefore=theme.space("paragraph") * theme.detail("shares", "table_before")),
                    self.role)
        if len(rows) <= SHORT_TABLE_ROWS:  # a short table reads best whole, on one page or column
            from reportlab.platypus import KeepTogether

            return [KeepTogether([table])]
        return [table]


SHORT_TABLE_ROWS = 8
MIN_COLUMN_TEXT = 18.0  # points of text width in a table column (0.25 in), inside its padding


def _plain(inline: str) -> str:
    import re
    from guidebuilder.render.markup import unescape

    return unescape(re.sub(r"<[^>]+>", "", inline))


def column_widths(rows: list[list[str]], width: float, font: str, bold: str, size: float, pad: float,
                  header: bool, floor_text: float) -> list[float]:
    """Widths that never break a word and share the rest in proportion to each column's text."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    columns = len(rows[0])
    least, natural = [0.0] * columns, [0.0] * columns
    for r, row in enumerate(rows):
        face = bold if header and r == 0 else font
        for c, cell in enumerate(row):
            text = _plain(cell)
            words = text.split() or [""]
            least[c] = max(least[c], max(stringWidth(w, face, size) for w in words) + 2 * pad)
            natural[c] = max(natural[c], stringWidth(text, face, size) + 2 * pad)
    floor = min(width / columns, 2 * pad + floor_text)  # a column always has room for a few letters
    least = [max(w, floor) for w in least]
    spare = width - sum(least)
    if spare <= 0:  # very long words: share the width, never below the floor (long words then break)
        extra = [w - floor for w in least]
        room = width - floor * columns
        return [floor + (room * e / sum(extra) if sum(extra) else room / columns) for e in extra]
    wants = [max(n - m, 0.0) for n, m in zip(natural, least)]
    if sum(wants) <= spare:  # everything fits on one line: share the slack evenly
        return [m + w + (spare - sum(wants)) / columns for m, w in zip(least, wants)]
    return [m + spare * w / sum(wants) for m, w in zip(least, wants)]


@register
class Callout(Component):
    tag, role, children = "callout", "Div", "inline"
    doc = "A highlighted note on a tint, with a coloured rule at its left edge."
    attributes = {
        "title": Attr(rich, doc="a bold first line"),
        "tone": Attr(choice("accent", "primary"), "accent", doc="which brand colour tints it"),
    }

    def build(self, ctx):
        theme = ctx.theme
        fill = theme.colour("callout") if self["tone"] == "accent" else theme.colour("panel")
        rule = theme.colour("callout_rule") if self["tone"] == "accent" else theme.colour("band")
        with ctx.on_fill(fill):
            content = []
            if self["title"]:
                content.append(paragraph(ctx, f"<b>{self['title']}</b>", "body",
                                         ctx.ink("heading"), spaceAfter=theme.detail("after", "callout_title")))
            content.append(paragraph(ctx, self.inline, "body"))
        table = box(content, fill, theme.space("panel_padding") * theme.detail("shares", "callout_padding"), ctx.available_width,
                    rule, "left", theme.detail("stripes", "callout"))
        table.spaceAfter, table.spaceBefore = theme.space("block"), theme.space("paragraph") * theme.detail("shares", "callout_before")
        return [table]


@register
class Panel(Component):
    tag, role = "panel", "Div"
    doc = "A padded box on a tint holding any blocks, e.g. the school's 'learn more' panel."
    attributes = {"fill": Attr(default="panel", doc="a colour role from the stylesheet, e.g. panel or fact_card")}

    def build(self, ctx):
        theme = ctx.theme
        fill = self.colour(ctx, self["fill"])
        pad = theme.space("panel_padding")
        with ctx.on_fill(fill), ctx.narrower(2 * pad):
            content = self.build_children(ctx)
        table = box(content, fill, pad, ctx.available_width)
        table.spaceBefore, table.spaceAfter = theme.space("section"), theme.space("block")
        return [table]


@register
class Columns(Component):
    tag, role = "columns", "Div"
    doc = ("Flows its blocks through 2 or 3 columns that continue across pages. What comes before it "
           "is set full width on the first page; what comes after it starts a new full-width page.")
    attributes = {"count": Attr(choice("2", "3"), "2", doc="number of columns")}

    def build(self, ctx):
        from guidebuilder.render.flowables import ColumnsEnd, ColumnsStart

        if ctx.state.has_columns:
            raise MarkupError(self.line, "a document holds at most one <columns>")
        if ctx.available_width != ctx.frame_width or ctx.span is not None or ctx.background != "#FFFFFF":
            raise MarkupError(self.line, "<columns> belongs directly in <document>, not inside another element")
        ctx.state.has_columns = True

        gutter = ctx.theme.page("gutter")
        count = int(self["count"])
        with ctx.width((ctx.available_width - gutter * (count - 1)) / count):
            content = self.build_children(ctx)
        return [ColumnsStart(count, gutter)] + content + [ColumnsEnd()]


@register
class Col(Component):
    tag, role = "col", "Div"
    doc = "One column of a <grid>, spanning some of its 12 grid columns."
    attributes = {
        "span": Attr(int, 6, doc="how many of the 12 grid columns it spans"),
        "align": Attr(choice("left", "right"), "left", doc="horizontal alignment of its content"),
    }

    def build(self, ctx):
        return self.build_children(ctx)


@register
class Grid(Component):
    tag, role, children = "grid", "Div", ("col",)
    min_children = 1
    doc = "Side-by-side columns on the 12-column grid; they do not break across pages."
    attributes = {
        "valign": Attr(choice("top", "middle", "bottom"), "top", doc="vertical alignment of the columns"),
        "space-after": Attr(length, None, doc="space below the grid"),
    }

    def build(self, ctx):
        from guidebuilder.render.flowables import Cell, Row

        gutter = ctx.theme.page("gutter")
        width = ctx.available_width
        unit = (width - 11 * gutter) / 12
        spans = [kid["span"] for kid in self.kids]
        if sum(spans) > 12:

            raise MarkupError(self.line, f"<grid>: the spans of its columns add up to {sum(spans)}, over 12")
        widths = [s * unit + (s - 1) * gutter for s in spans]
        widths = [w + (gutter if i < len(widths) - 1 else 0) for i, w in enumerate(widths)]
        widths[-1] += width - sum(widths)  # spans that do not add up to 12 still fill the row
        cells = []
        for i, (kid, w) in enumerate(zip(self.kids, widths)):
            pad_right = gutter if i < len(widths) - 1 else 0
            with ctx.building(kid), ctx.width(w - pad_right):
                cells.append(Cell(kid.build(ctx), w, (0, pad_right, 0, 0), align=kid["align"]))
        after = self["space-after"] if self["space-after"] is not None else ctx.theme.space("block")
        return [Row(cells, self["valign"], after)]


@register
class Spacer(Component):
    tag, role, children = "spacer", "Artifact", "none"
    doc = "Vertical white space."
    attributes = {"height": Attr(length, required=True, doc="e.g. 12pt or 0.25in")}

    def build(self, ctx):
        from reportlab.platypus import Spacer as RLSpacer

        return [RLSpacer(1, self["height"] * ctx.theme.scale)]


@register
class Rule(Component):
    tag, role, children = "rule", "Artifact", "none"
    doc = "A thin horizontal line across the column."
    attributes = {"colour": Attr(default="rule", doc="a colour role")}

    def build(self, ctx):
        from reportlab.lib.colors import HexColor

        from guidebuilder.render.flowables import Hairline

        return [Hairline(width="100%", thickness=ctx.theme.space("rule"), color=HexColor(self.colour(ctx, self["colour"])),
                           spaceBefore=ctx.theme.space("paragraph"), spaceAfter=ctx.theme.space("paragraph"))]


@register
class PageBreak(Component):
    tag, role, children = "page-break", "Artifact", "none"
    doc = "Starts a new page."
    attributes = {}

    def build(self, ctx):
        from reportlab.platypus import PageBreak as RLPageBreak

        return [RLPageBreak()]


@register
class Keep(Component):
    tag, role = "keep", "Div"
    doc = "Keeps its blocks together on one page (or column) when they fit."
    attributes = {}

    def build(self, ctx):
        from reportlab.platypus import KeepTogether

        return [KeepTogether(self.build_children(ctx))]
