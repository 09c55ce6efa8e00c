"""The brochure panel: content placed on one panel of a letter-fold (tri-fold) brochure."""

from __future__ import annotations

from guidebuilder.render.components.base import Attr, Component, MarkupError, choice, register
from guidebuilder.pdf.geometry import FOLD_ORDER, fold_panels
from guidebuilder.pdf.pages import panel_insets


@register
class FoldPanel(Component):
    tag, role = "fold-panel", "Div"
    doc = ("One panel of a letter-fold brochure (a document with fold=\"letter\"). The outside page holds "
           "flap | back | cover, the inside page inside-left | inside-middle | inside-right. Each panel's "
           "content must fit its panel; the build says which panel overflows by how much.")
    attributes = {"name": Attr(choice(*FOLD_ORDER), required=True, doc="which panel")}

    def build(self, ctx):
        from guidebuilder.render.flowables import PanelStart

        if not ctx.document.folded:
            raise MarkupError(self.line, '<fold-panel> needs <document fold="letter">')
        _, left, right = fold_panels(ctx.page_width)[self["name"]]
        inner_left, inner_right = panel_insets(ctx, left, right)
        previous = ctx.span
        ctx.span = (left, right)
        try:
            with ctx.width(right - left - inner_left - inner_right):
                content = self.build_children(ctx)
        finally:
            ctx.span = previous
        return [PanelStart(self["name"])] + content
