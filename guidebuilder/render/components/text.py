"""Text elements: the document root, title, headings, paragraphs, lists, sections."""

from __future__ import annotations

import re

from guidebuilder.render.components.base import Attr, Component, boolean, choice, positive, register
from guidebuilder.render.settings import DocumentSettings
from guidebuilder.render.stylesheet import parse_length
from guidebuilder.pdf.tagging import tag


def paragraph(ctx, inline: str, type_style: str, colour: str | None = None, **overrides):
    """A Paragraph of escaped inline markup; links take the theme's link colour."""
    from guidebuilder.render.flowables import FastParagraph

    style = ctx.theme.style(type_style, colour or ctx.ink("text"), **overrides)
    if "<a " in inline:
        inline = inline.replace("<a href=", f'<a color="{ctx.ink("link")}" href=')
        inline = break_long_links(inline, style, ctx.available_width - style.leftIndent - ctx.theme.detail("text", "link_room"))
    if "keepWithNext" not in overrides and inline.rstrip().endswith(":"):
        style = ctx.theme.style(type_style, colour or ctx.ink("text"), keepWithNext=1, **overrides)  # "these:" leads in
    return FastParagraph.make(inline, style)


_LINK = re.compile(r"(<a [^>]*>)([^<]*)</a>")


def break_long_links(inline: str, style, width: float) -> str:
    """A printed address wider than its column breaks after a slash or before a dot or dash
    (never inside a word), as style guides ask; ReportLab would cut it anywhere."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from guidebuilder.render.markup import escape, unescape

    def measure(text):
        return stringWidth(text, style.fontName, style.fontSize)

    def rebreak(match):
        text = unescape(match.group(2))
        if measure(text) <= width:
            return match.group(0)
        lines, line = [], ""
        for piece in re.split(r"(?<=[/?&=])|(?=[.\-](?!$))", text):
            if line and measure(line + piece) > width:
                lines.append(line)
                line = piece
            else:
                line += piece
        lines.append(line)
        return match.group(1) + "<br/>".join(escape(part) for part in lines) + "</a>"

    return _LINK.sub(rebreak, inline)


@register
class Document(Component):
    tag = "document"
    role = "Document"
    doc = "The root of every layout. Its attributes become the PDF's metadata and page furniture."
    attributes = {
        "title": Attr(required=True, doc="document title (PDF metadata)"),
        "subject": Attr(doc="PDF subject"),
        "keywords": Attr(doc="comma-separated PDF keywords"),
        "author": Attr(doc="PDF author; the school's name"),
        "lang": Attr(default="en", doc="language tag written into the PDF"),
        "fit": Attr(choice("flow", "one-page"), "flow",
                    doc="one-page: shrink type until everything fits one page, or fail"),
        "min-font-size": Attr(positive(float), 8.0, doc="smallest body size one-page may shrink to (pt)"),
        "max-pages": Attr(positive(int), 4, doc="the build fails when the document runs longer"),
        "running-header": Attr(doc="text of the slim brand band on pages after the first"),
        "footer": Attr(doc="footer text on every page"),
        "page-numbers": Attr(boolean, True, doc="print 'Page N of M' in the footer"),
        "orientation": Attr(choice("portrait", "landscape"), "portrait", doc="page orientation"),
        "fold": Attr(choice("none", "letter"), "none",
                     doc="letter: a tri-fold brochure of two pages, six <fold-panel> elements"),
    }

    def build(self, ctx):
        ctx.document = DocumentSettings.from_attributes(self.attrs)
        return self.build_children(ctx)


class _Text(Component):
    children = "inline"
    type_style = "body"
    colour_role = "text"
    large = False

    def build(self, ctx):
        return [tag(paragraph(ctx, self.inline, self.type_style, ctx.ink(self.colour_role, self.large),
                              spaceAfter=self.space_after(ctx)), self.role)]

    def space_after(self, ctx) -> float:
        return ctx.theme.space("paragraph")


@register
class Title(_Text):
    tag, role, type_style, colour_role, large = "title", "H1", "title", "heading", True
    doc = "The guide's title: the one H1 of the document."
    attributes = {}

    def space_after(self, ctx):
        return ctx.theme.space("paragraph")


@register
class Subtitle(_Text):
    tag, role, type_style, colour_role, large = "subtitle", "P", "subtitle", "text", True
    doc = "A line under the title."
    attributes = {}


@register
class Lead(_Text):
    tag, role, type_style = "lead", "P", "lead"
    doc = "The opening summary, set larger than body text."
    attributes = {}

    def space_after(self, ctx):
        return ctx.theme.space("block")


@register
class Heading(_Text):
    tag, colour_role = "heading", "heading"
    doc = "A section heading; it always stays with what follows it."
    attributes = {"level": Attr(choice("2", "3"), "2", doc="2 for sections, 3 for sub-sections")}

    @property
    def role(self):
        return "H" + self["level"]

    def build(self, ctx):
        style = "h2" if self["level"] == "2" else "h3"
        before = ctx.theme.space("section") if style == "h2" else ctx.theme.space("block")
        return [tag(paragraph(ctx, self.inline, style, ctx.ink("heading"), spaceBefore=before,
                              spaceAfter=ctx.theme.space("heading_after"), keepWithNext=1), self.role)]


@register
class P(_Text):
    tag, role = "p", "P"
    doc = "A paragraph."
    attributes = {
        "style": Attr(str, "body", doc="a type style of the stylesheet (body, small, lead, table, ...)"),
        "tone": Attr(choice("text", "muted", "heading"), "text", doc="text colour role"),
        "align": Attr(choice("left", "right", "center"), "left", doc="alignment (body text stays left)"),
        "space-after": Attr(parse_length, None, doc="space below; default from the stylesheet"),
    }

    def build(self, ctx):
        from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT

        if self["style"] not in ctx.theme.sheet.type:
            from guidebuilder.render.components.base import MarkupError
            from guidebuilder.errors import did_you_mean

            raise MarkupError(self.line, f'<p style="{self["style"]}">: no such type style in the stylesheet'
                                         f'{did_you_mean(self["style"], ctx.theme.sheet.type)}')
        align = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}[self["align"]]
        after = self["space-after"] if self["space-after"] is not None else ctx.theme.space("paragraph")
        return [tag(paragraph(ctx, self.inline, self["style"], ctx.ink(self["tone"]), alignment=align,
                              spaceAfter=after), self.role)]


@register
class Item(_Text):
    tag, role = "item", "LI"
    doc = "One entry of a <list>."
    attributes = {}


@register
class List(Component):
    tag, role, children = "list", "L", ("item",)
    min_children = 1
    doc = "A bulleted or numbered list of <item> elements."
    attributes = {"style": Attr(choice("bullet", "number"), "bullet", doc="bullet or number markers")}

    def build(self, ctx):
        from reportlab.lib.colors import HexColor
        from reportlab.platypus import ListFlowable, ListItem

        theme = ctx.theme
        size, _ = theme.size("body")
        items = [ListItem(paragraph(ctx, kid.inline, "body", spaceAfter=theme.space("paragraph") * theme.detail("shares", "list_item_after")))
                 for kid in self.kids]
        numbered = self["style"] == "number"
        return [tag(ListFlowable(
            items, bulletType="1" if numbered else "bullet", start=None if numbered else "\u2022",
            bulletFontName=theme.fonts.bold if numbered else theme.fonts.regular, bulletFontSize=size,
            bulletColor=HexColor(ctx.ink("heading")), leftIndent=theme.space("list_indent"),
            bulletDedent="auto", spaceAfter=theme.space("block") - theme.space("paragraph") * theme.detail("shares", "list_item_after"),
            bulletOffsetY=0), self.role)]


@register
class Section(Component):
    tag, role = "section", "Sect"
    doc = "A group of blocks opened by a <heading>; the heading is kept with the first block."
    attributes = {}

    def build(self, ctx):
        from reportlab.platypus import KeepTogether

        from guidebuilder.pdf.reportlab.platypus import kept_content

        flat = [f for kid in self.kids for f in kid.build(ctx)]
        # The heading, each block after it that keeps with the next ("These are the main ones:"),
        # and the block they lead to stay together. (ReportLab's own keepWithNext chain stops at
        # a KeepTogether, as a short table is, so the opening is grouped here.)
        opening, i = [], 0
        while i < len(flat) and (i == 0 or flat[i - 1].getKeepWithNext()):
            f = flat[i]
            content = kept_content(f)
            opening.extend(content if content is not None else [f])
            i += 1
        return ([KeepTogether(opening)] if opening else []) + flat[i:]
