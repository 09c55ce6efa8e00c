"""Guide elements: key-fact cards, the numbered pathway, the checklist and notes lines."""

from __future__ import annotations

from guidebuilder.render.markup import escape

from guidebuilder.render.components.base import Attr, Component, choice, length, register, rich
from guidebuilder.render.components.text import paragraph
from guidebuilder.pdf.tagging import tag, tag_list


def _row_of_cards(ctx, cells: list[list], fill: str | None, rule: str | None, padding: float, space_after: float):
    """Equal-width cards in one row with gutters between them."""
    from guidebuilder.render.flowables import Cell, Row

    gutter = ctx.theme.page("gutter")
    n = len(cells)
    width = (ctx.available_width - gutter * (n - 1)) / n
    ctx.check_width(width - 2 * padding)
    row = []
    for i, content in enumerate(cells):
        if i:
            row.append(Cell([], gutter))
        row.append(Cell(content, width, (padding,) * 4, fill, ("top", ctx.theme.detail("stripes", "card"), rule) if rule else None))
    return Row(row, "top", space_after)


@register
class Fact(Component):
    tag, role, children = "fact", "Div", "none"
    doc = "One key-fact card: a big figure, a short label and a source line."
    attributes = {"value": Attr(rich, required=True, doc="the figure, e.g. $50,250"),
                  "label": Attr(rich, required=True, doc="what the figure is"),
                  "source": Attr(rich, doc="where it comes from, with its date")}


@register
class Facts(Component):
    tag, role, children = "facts", "Div", ("fact",)
    min_children = 1
    doc = "Key-fact cards (2 to 4 <fact> elements) in one row, or stacked in a narrow column."
    attributes = {"layout": Attr(choice("row", "column"), "row", doc="row: side by side; column: stacked")}

    def build(self, ctx):
        theme = ctx.theme
        fill = theme.colour("fact_card")
        pad = theme.space("panel_padding")
        cells = []
        with ctx.on_fill(fill):
            for fact in self.kids:
                cell = [paragraph(ctx, fact["value"], "fact_value", ctx.ink("fact_value", True),
                                  spaceAfter=theme.detail("after", "fact_value")),
                        paragraph(ctx, fact["label"], "fact_label", ctx.ink("text"),
                                  spaceAfter=theme.detail("after", "fact_label"))]
                if fact["source"]:
                    cell.append(paragraph(ctx, fact["source"], "small", ctx.ink("muted"), spaceAfter=0))
                cells.append(cell)
        if self["layout"] == "column":
            from guidebuilder.render.flowables import Cell, Row

            rule = ("left", theme.detail("stripes", "card"), theme.colour("fact_rule"))
            side = theme.detail("shares", "fact_stacked_side")
            return [Row([Cell(cell, ctx.available_width, (pad, pad, pad * side, pad * side), fill, rule)], "top",
                        theme.space("paragraph")) for cell in cells]
        after = theme.space("block") * theme.detail("shares", "facts_after")
        return [_row_of_cards(ctx, cells, fill, theme.colour("fact_rule"), pad, after)]


@register
class Step(Component):
    tag, role, children = "step", "LI", "inline"
    doc = "One numbered step: a short title attribute and inline text."
    attributes = {"title": Attr(rich, required=True, doc="the step's name")}


@register
class Steps(Component):
    tag, role, children = "steps", "L", ("step",)
    min_children = 1
    doc = "Numbered steps with brand-coloured numbers, in a row (the pathway) or a column."
    attributes = {"layout": Attr(choice("row", "column"), "column", doc="row: side by side; column: stacked")}

    def build(self, ctx):
        from guidebuilder.render.flowables import NumberBadge

        theme = ctx.theme
        size, _ = theme.size("step_number")
        fill = ctx.ink("step_number", True)
        diameter = size * theme.detail("shares", "step_badge")

        def badge(i):
            return NumberBadge(str(i), diameter, fill, theme.text_on(fill), theme.font("step_number"), size)

        if self["layout"] == "row":
            cells = [[badge(i), _gap(theme.detail("after", "step_badge") * theme.scale),
                      paragraph(ctx, step["title"], "step_title", ctx.ink("heading"),
                                spaceAfter=theme.detail("after", "step_title")),
                      paragraph(ctx, step.inline, "step_text", spaceAfter=0)]
                     for i, step in enumerate(self.kids, 1)]
            tag_list([(cell[0], cell[2:]) for cell in cells])
            return [_row_of_cards(ctx, cells, None, None, 0, theme.space("block"))]
        return self._column(ctx, badge, diameter)

    def _column(self, ctx, badge, diameter):
        from guidebuilder.render.flowables import Cell, Row

        theme = ctx.theme
        gap = theme.page("gutter") * theme.detail("shares", "step_gap")
        text_width = ctx.available_width - diameter - gap
        rows, items = [], []
        for i, step in enumerate(self.kids, 1):
            with ctx.width(text_width):
                text = [paragraph(ctx, step["title"], "step_title", ctx.ink("heading"),
                                  spaceAfter=theme.detail("after", "step_title_stacked")),
                        paragraph(ctx, step.inline, "step_text", spaceAfter=0)]
            items.append((badge(i), text))
            rows.append(Row([Cell([items[-1][0]], diameter + gap), Cell(text, text_width)], "top",
                            theme.space("paragraph")))
        tag_list(items)
        rows[-1].spaceAfter = theme.space("block")
        return rows


def _gap(height):
    from reportlab.platypus import Spacer

    return Spacer(1, height)


@register
class Check(Component):
    tag, role, children = "check", "LI", "inline"
    doc = "One checklist item with a tick box; an optional lighter detail line under it."
    attributes = {"detail": Attr(rich, doc="a short second line")}


@register
class Group(Component):
    tag, role, children = "group", "L", ("check",)
    min_children = 1
    doc = "A checklist group: a heading and its <check> items."
    attributes = {"heading": Attr(rich, required=True, doc="the group's heading")}


@register
class Checklist(Component):
    tag, role, children = "checklist", "Div", ("group",)
    min_children = 1
    doc = "Tick-box groups; within a column the boxes line up. Groups are never split."
    attributes = {"columns": Attr(choice("1", "2"), "1", doc="set the groups in one or two columns")}

    def build(self, ctx):
        from reportlab.platypus import KeepTogether

        from guidebuilder.render.flowables import Cell, Row

        count = int(self["columns"])
        gutter = ctx.theme.page("gutter") * ctx.theme.detail("shares", "checklist_gutter")
        if count == 1:
            return [KeepTogether(self._group(ctx, group, n)) for n, group in enumerate(self.kids, 1)]
        width = (ctx.available_width - gutter) / 2
        with ctx.width(width):
            groups = [self._group(ctx, group, n) for n, group in enumerate(self.kids, 1)]
        from guidebuilder.render.flowables import stacked_height

        heights = [stacked_height(g, width, 1e6) for g in groups]
        split = min(range(1, len(groups) + 1), key=lambda k: abs(sum(heights[:k]) - sum(heights[k:])))
        left = [f for g in groups[:split] for f in g]
        right = [f for g in groups[split:] for f in g]
        return [Row([Cell(left, width + gutter, (0, gutter, 0, 0)), Cell(right, width)])]

    def _group(self, ctx, group, number: int) -> list:
        from guidebuilder.render.flowables import Cell, Row, TickBox

        theme = ctx.theme
        size, leading = theme.size("check")
        side = size * theme.detail("shares", "tick_box")
        gap = theme.page("gutter") * theme.detail("shares", "tick_gap")
        text_width = ctx.available_width - side - gap
        heading = tag(paragraph(ctx, group["heading"], "h3", ctx.ink("heading"), spaceBefore=theme.space("block"),
                                spaceAfter=theme.space("heading_after"), keepWithNext=1), "H2")
        rows, items = [heading], []
        for item, check in enumerate(group.kids, 1):
            with ctx.width(text_width):
                text = [paragraph(ctx, check.inline, "check", spaceAfter=0)]
                if check["detail"]:
                    text.append(paragraph(ctx, check["detail"], "check_detail", ctx.ink("muted"), spaceAfter=0))
            field = _field(number, item, check, ctx) if ctx.options is None or ctx.options.fields else None
            tick = TickBox(side, ctx.ink("tick"), max(theme.detail("lines", "tick_min"), theme.space("rule")), (leading - side) / 2, field)
            items.append((tick, text))
            rows.append(Row([Cell([tick], side + gap), Cell(text, text_width)], "top", theme.space("check_gap")))
        tag_list(items)
        return rows


def _field(group: int, item: int, check, ctx) -> tuple[str, str]:
    """A stable, unique field name (group and item number, then the item's words) and a tooltip."""
    import re

    from guidebuilder.render.markup import unescape
    from guidebuilder.scaffold import slugify

    text = unescape(re.sub(r"<[^>]+>", "", check.inline))
    name = f"check-{group:02d}-{item:02d}-{slugify(text)[:40]}"
    taken = ctx.state.field_names
    base, n = name, 2
    while name in taken:  # a second checklist in one document: its own names
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name, text


@register
class Notes(Component):
    tag, role, children = "notes", "Div", "none"
    doc = ("Ruled lines for handwritten notes that fill the space left on the page above the blocks "
           "after it; left out when fewer than min-lines fit.")
    attributes = {"label": Attr(default="Notes", doc="the heading above the lines"),
                  "spacing": Attr(length, 22.0, doc="distance between lines"),
                  "min-lines": Attr(int, 2, doc="the fewest lines worth printing")}
    fills_remaining = True

    def build_filling(self, ctx, build_after):
        from guidebuilder.render.flowables import RuledLines

        theme = ctx.theme
        label = tag(paragraph(ctx, escape(self["label"]), "h3", ctx.ink("heading"), spaceAfter=0), "H2")
        after = build_after()
        lines = RuledLines(label, self["spacing"] * theme.scale, theme.colour("notes_rule"),
                           max(theme.detail("lines", "notes_min"), theme.space("rule")), after, self["min-lines"], theme.space("block"))
        lines.spaceBefore = theme.space("block")
        return [lines]

    def build(self, ctx):
        return self.build_filling(ctx, list)
