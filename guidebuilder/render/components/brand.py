"""Brand elements: the hero band, the logo, images and QR codes."""

from __future__ import annotations

from guidebuilder.render.markup import escape

from guidebuilder.render.components.base import Attr, Component, MarkupError, boolean, length, register
from guidebuilder.render.components.text import paragraph
from guidebuilder.pdf.tagging import tag


@register
class Hero(Component):
    tag, role = "hero", "Div"
    doc = ("The brand band at the top of a first page: a colour fill that runs to the page edges, "
           "holding any blocks (logo, title, subtitle). Text inside turns white or near-black, "
           "whichever reads on the fill.")
    attributes = {"fill": Attr(default="band", doc="a colour role"),
                  "padding": Attr(length, None, doc="space inside the band; default from the stylesheet")}

    def build(self, ctx):
        from guidebuilder.render.flowables import Band

        fill = self.colour(ctx, self["fill"])
        with ctx.on_fill(fill):
            content = self.build_children(ctx)
        padding = self["padding"] if self["padding"] is not None else ctx.theme.space("hero_padding")
        # The fill also runs up through the top margin, so less padding is needed above.
        band = Band(content, fill, (padding * ctx.theme.detail("shares", "hero_top"), padding), ctx.geometry, ctx.theme.page("margin"), ctx.span)
        band.spaceAfter = ctx.theme.space("block") * ctx.theme.detail("shares", "hero_after")
        return [band]


@register
class Logo(Component):
    tag, role, children = "logo", "Figure", "none"
    doc = ("The school's logo on a white card with clear space around it; a school without a logo gets "
           "its name (and tagline) set in type instead. Alt text: the school's logo_alt.")
    attributes = {
        "max-width": Attr(length, 2.6 * 72, doc="the widest the logo may be"),
        "max-height": Attr(length, 0.62 * 72, doc="the tallest the logo may be"),
        "card": Attr(boolean, True, doc="set the logo on a white card (needed on coloured bands)"),
    }

    def build(self, ctx):
        from guidebuilder.render.flowables import Picture

        school = ctx.school
        if not school.logo:
            parts = [paragraph(ctx, escape(school.name), "brand", ctx.ink("heading"),
                               spaceAfter=ctx.theme.detail("after", "school_name"))]
            if school.tagline:
                parts.append(paragraph(ctx, escape(school.tagline), "body", ctx.ink("text"), spaceAfter=0))
            return parts
        image = ctx.assets.image(ctx.asset(school.logo))
        pad = ctx.theme.space("panel_padding") * ctx.theme.detail("shares", "logo_card_padding") if self["card"] else 0
        return [tag(Picture(image, self["max-width"], self["max-height"], ctx.theme.fonts,
                            "#FFFFFF" if self["card"] else None, pad), self.role,
                    alt=school.logo_alt or f"{school.name} logo")]


@register
class Image(Component):
    tag, role, children = "image", "Figure", "none"
    doc = "An image from the school's folder (PNG, JPEG or SVG), fitted into a box, aspect ratio kept."
    attributes = {
        "src": Attr(required=True, doc="file name, relative to the school's folder"),
        "alt": Attr(required=True, doc="what the image shows, read aloud by screen readers"),
        "width": Attr(length, 2 * 72, doc="the widest it may be"),
        "height": Attr(length, 2 * 72, doc="the tallest it may be"),
    }

    def build(self, ctx):
        from guidebuilder.render.flowables import Picture

        return [tag(Picture(self._image(ctx), self["width"], self["height"], ctx.theme.fonts),
                    self.role, alt=self["alt"])]

    def _image(self, ctx):
        """The image `src` names, a file in the school's folder; what is wrong with it is an
        error at this element's line, never a read of a pipe or of the network."""
        from pathlib import Path

        from guidebuilder.render.assets import SCHEME, Outside, Refused, resolve_inside, svg_links
        from guidebuilder.errors import BuildError

        src = self["src"]
        folder = Path(ctx.school_file).resolve().parent

        def refuse(why: str):  # '<image src="x.png"> is a named pipe', '<image src="x.png">: not found'
            return MarkupError(self.line, f'<image src="{src}">' + (f" {why}" if why.startswith("is ") else f": {why}"))

        if SCHEME.match(src):
            raise refuse(f"images are never fetched from the network; save the file in {folder.name}/ "
                         f"and give its name")
        try:
            target = resolve_inside(folder, src)
            if not target.exists():
                raise Refused(f"file not found in {folder.name}/")
            ctx.read(src)  # recorded, so a batch rebuilds when it changes
            if target.suffix.lower() == ".svg":
                for linked in svg_links(target):  # and when a file it links changes
                    ctx.read(str(linked.relative_to(folder)))
            return ctx.assets.image(target)
        except Outside:
            raise refuse(f"is outside the school's folder (put the file inside {folder.name}/)") from None
        except Refused as exc:
            raise refuse(str(exc)) from None
        except BuildError as exc:
            raise refuse(exc.message) from None


MIN_QR_MODULE = 0.6 / 25.4 * 72  # 0.6 mm


@register
class QR(Component):
    tag, role, children = "qr", "Figure", "none"
    doc = "A QR code (with its quiet zone) for a web address. Alt text: \"QR code: <url>\"."
    attributes = {
        "url": Attr(required=True, doc="the address it opens (https://...)"),
        "size": Attr(length, 0.95 * 72, doc="its width and height, quiet zone included (at least 0.8in)"),
    }

    def build(self, ctx):
        from guidebuilder.render.flowables import QRCode

        if not self["url"].startswith(("https://", "http://")):
            raise MarkupError(self.line, f'<qr url="{self["url"]}">: expected a web address (https:// or http://)')
        from guidebuilder.load.fieldtypes import MAX_URL  # as for a school's addresses: denser codes do not scan

        if len(self["url"]) > MAX_URL:
            raise MarkupError(self.line, f'<qr url="{self["url"][:40]}...">: the address is {len(self["url"]):,} '
                                         f"characters long, too long for a QR code; use one of at most {MAX_URL} "
                                         f"(a short link)")
        if self["size"] < 0.8 * 72:
            raise MarkupError(self.line, '<qr size>: at least 0.8in, so phones can scan it from arm\'s length')
        matrix = ctx.assets.qr(self["url"])
        # A long address makes a denser code: keep every module at least 0.6 mm, for phones.
        size = max(self["size"], (len(matrix) + 2 * QRCode.QUIET) * MIN_QR_MODULE)
        return [tag(QRCode(matrix, size, ctx.theme.text, self["url"]), self.role, alt=f"QR code: {self['url']}")]
