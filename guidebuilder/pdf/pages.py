"""Stage 4, write (pages): flowables -> page templates and frames -> PDF bytes (deterministic).

Pages after the first carry a slim brand band; every page a footer with page numbers.
Both are page furniture drawn outside the story. Writing the bytes to a file: pdf/write.py.
"""

from __future__ import annotations

from guidebuilder import __version__
from guidebuilder.errors import BuildError


def _numbered_canvas(furniture, geometry):
    """A canvas that holds its pages until the end, so each footer can say 'Page N of M'.
    It writes a tagged PDF (see tagging.py); the furniture is a pagination artifact."""
    from guidebuilder.pdf.reportlab.canvas import hold_page, resume_page
    from guidebuilder.pdf.tagging import TaggedCanvas, artifact

    class NumberedCanvas(TaggedCanvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages = []
            if geometry.offset:  # print mode: tell the print shop where to cut
                self.setTrimBox(geometry.trim_box)
                self.setBleedBox(geometry.bleed_box)

        def showPage(self):
            self._saved_pages.append(hold_page(self))

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                number = resume_page(self, state)
                with artifact(self, "Pagination"):
                    furniture(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


SAFE_MARGIN = 18.0  # text stays 0.25 in inside the trim


class TooLarge(BuildError):
    """A block that cannot be split is taller than the page."""


def frame_bottom(theme) -> float:
    """Where the text frames end, above the footer."""
    return theme.page("footer") + 12


def first_frame_height(ctx) -> float:
    """The height of the first page's full-width text frame (what a one-page document must fit)."""
    return ctx.page_height - ctx.theme.page("margin") - frame_bottom(ctx.theme)


def panel_insets(ctx, left: float, right: float) -> tuple[float, float]:
    """White space inside a brochure panel: the page margin at the paper's edge, a gutter at a fold."""
    outer, fold = ctx.theme.page("panel_margin"), ctx.theme.page("fold_gutter")
    return (outer if left <= 0.01 else fold), (outer if right >= ctx.page_width - 0.01 else fold)


def render_pdf(flowables, ctx) -> tuple[bytes, int]:
    """The PDF bytes of `flowables` and its page count."""
    from io import BytesIO

    from reportlab.platypus import BaseDocTemplate

    from guidebuilder.pdf.reportlab import rlspeedups
    from guidebuilder.render.colours import as_cmyk

    rlspeedups.install()
    theme, settings = ctx.theme, ctx.document
    margin = theme.page("margin")
    footer_room = frame_bottom(theme)
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=ctx.geometry.media, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=footer_room, title=settings.title or "", author=settings.author or "",
        subject=settings.subject or "", keywords=settings.keywords or "",
        creator=f"guidebuilder {__version__}", producer=f"guidebuilder {__version__} (ReportLab)",
        lang=settings.lang or "en", invariant=1, initialFontName=theme.fonts.regular,
        initialFontSize=10, initialLeading=12, displayDocTitle=1,
        enforceColorSpace=as_cmyk if ctx.options is not None and ctx.options.cmyk else None,
    )
    story, templates = _frames(list(flowables), ctx, footer_room)
    doc.addPageTemplates(templates)
    canvasmaker = _numbered_canvas(lambda canvas, n, total: _furniture(canvas, n, total, ctx), ctx.geometry)
    try:
        doc.build(story, canvasmaker=canvasmaker)
    except Exception as exc:
        from reportlab.platypus.doctemplate import LayoutError

        if isinstance(exc, LayoutError) or "too large" in str(exc):
            raise TooLarge.at(None, None, "", "a block (a table, panel or group) is taller than a whole page") from None
        raise
    return buffer.getvalue(), doc.page


def _frames(story: list, ctx, bottom: float):
    """The page templates and the story to flow through them.

    Without <columns>: one full-width frame per page. With it, the first page sets what
    comes before the columns full width (the poster) and flows the columns below it; later
    pages are all columns; what follows the columns starts a new full-width page.
    """
    from reportlab.platypus import Frame, FrameBreak, NextPageTemplate, PageBreak, PageTemplate

    from guidebuilder.render.flowables import ColumnsEnd, ColumnsStart, stacked_height

    theme = ctx.theme
    margin, width, height = theme.page("margin"), ctx.page_width, ctx.page_height
    later_top = height - theme.page("running_header") - margin * 0.6
    inner = width - 2 * margin

    offset = ctx.geometry.offset

    def frame(x, y, w, h, name):
        return Frame(x + offset, y + offset, w, h, id=name, leftPadding=0, rightPadding=0, topPadding=0,
                     bottomPadding=0)

    def columns(top, count, gutter, name):
        col = (inner - gutter * (count - 1)) / count
        return [frame(margin + i * (col + gutter), bottom, col, top - bottom, f"{name}-{i + 1}") for i in range(count)]

    if ctx.document.folded:
        return _fold_frames(story, ctx, frame)
    full_first = [frame(margin, bottom, inner, first_frame_height(ctx), "first")]
    full_later = [frame(margin, bottom, inner, later_top - bottom, "later")]
    start = next((i for i, f in enumerate(story) if isinstance(f, ColumnsStart)), None)
    if start is None:
        return story, [PageTemplate("first", full_first, autoNextPageTemplate="later"),
                       PageTemplate("later", full_later)]
    marker = story[start]
    end = next((i for i, f in enumerate(story) if isinstance(f, ColumnsEnd)), len(story))
    poster, flowing, closing = story[:start], story[start + 1:end], story[end + 1:]
    if closing:
        closing = [NextPageTemplate("closing"), PageBreak()] + closing
    poster_height = stacked_height(poster, inner, first_frame_height(ctx)) + 1
    columns_top = height - margin - poster_height
    if columns_top - bottom < 1.25 * 72:  # too little room under the poster: columns start on page 2
        first, story = full_first, poster + flowing + closing
    else:
        first = [frame(margin, columns_top, inner, poster_height, "poster")] + columns(
            columns_top, marker.count, marker.gutter, "first")
        story = poster + [FrameBreak()] + flowing + closing
    return story, [PageTemplate("first", first, autoNextPageTemplate="later"),
                   PageTemplate("later", columns(later_top, marker.count, marker.gutter, "later")),
                   PageTemplate("closing", full_later)]


def _fold_frames(story: list, ctx, frame):
    """A letter-fold brochure: the outside page (cover, flap, back) then the inside page."""
    from reportlab.platypus import FrameBreak, PageTemplate

    from guidebuilder.pdf.reportlab.platypus import frame_size
    from guidebuilder.render.flowables import PanelStart, stacked_height
    from guidebuilder.pdf.geometry import FOLD_ORDER, fold_panels

    theme = ctx.theme
    margin, height = theme.page("panel_margin"), ctx.page_height
    panels: dict[str, list] = {name: [] for name in FOLD_ORDER}
    current = None
    for flowable in story:
        if isinstance(flowable, PanelStart):
            current = flowable.name
        elif current is None:
            raise BuildError.at(None, None, "", "a brochure holds only <fold-panel> elements at its top level")
        else:
            panels[current].append(flowable)
    frames, overflowing = {}, []
    for name, (page, left, right) in fold_panels(ctx.page_width).items():
        inset_left, inset_right = panel_insets(ctx, left, right)
        frames[name] = frame(left + inset_left, margin, right - left - inset_left - inset_right,
                             height - 2 * margin, name)
        frame_width, frame_height = frame_size(frames[name])
        needed = stacked_height(panels[name], frame_width, frame_height)
        if needed > frame_height + 0.5:
            overflowing.append(f'"{name}" by {(needed - frame_height) / 72:.2f} in')
    if overflowing:
        raise BuildError.at(None, None, "", f"panels overflow: {', '.join(overflowing)}", "shorten what the layout puts there")
    flow = []
    for i, name in enumerate(FOLD_ORDER):
        flow += panels[name] + ([FrameBreak()] if i < len(FOLD_ORDER) - 1 else [])
    return flow, [PageTemplate("outside", [frames[n] for n in FOLD_ORDER[:3]], autoNextPageTemplate="inside"),
                  PageTemplate("inside", [frames[n] for n in FOLD_ORDER[3:]])]


def _furniture(canvas, page: int, total: int, ctx) -> None:
    """The slim band on pages after the first and the footer on every page."""
    from reportlab.lib.colors import HexColor

    theme, settings, geometry = ctx.theme, ctx.document, ctx.geometry
    width, height, bleed = ctx.page_width, ctx.page_height, geometry.bleed
    margin = theme.page("margin")
    small, _ = theme.size("small")
    small = max(small, theme.min_print_size)
    canvas.saveState()
    if geometry.crop_marks:
        canvas.setStrokeColor(HexColor("#000000"))
        canvas.setLineWidth(0.5)
        for x0, y0, x1, y1 in geometry.crop_marks_lines():
            canvas.line(x0, y0, x1, y1)
    if geometry.crop_marks and settings.folded:
        _fold_marks(canvas, ctx, page)
    canvas.translate(geometry.offset, geometry.offset)  # from here on, trim coordinates
    if page > 1 and settings.running_header:
        band_h = theme.page("running_header")
        fill = theme.colour("band")
        canvas.setFillColor(HexColor(fill))
        canvas.rect(-bleed, height - band_h, width + 2 * bleed, band_h + bleed, stroke=0, fill=1)
        size, _ = theme.size("band")
        canvas.setFillColor(HexColor(theme.text_on(fill)))
        canvas.setFont(theme.fonts.bold, size)
        # Centred in the band, but never within the 0.25 in a print shop may trim into.
        baseline = min(height - band_h / 2 - size * 0.35, height - SAFE_MARGIN - size * 0.75)
        canvas.drawString(margin, baseline, ctx.school.name)
        canvas.setFont(theme.fonts.regular, size)
        canvas.drawRightString(width - margin, baseline, settings.running_header)
    if not settings.footer and not settings.page_numbers:
        canvas.restoreState()
        return
    footer_y = theme.page("footer") - small
    canvas.setStrokeColor(HexColor(theme.colour("rule")))
    canvas.setLineWidth(theme.detail("lines", "footer"))
    rule_y = footer_y + small + theme.detail("lines", "footer_gap")
    canvas.line(margin, rule_y, width - margin, rule_y)
    canvas.setFillColor(HexColor(theme.muted))
    canvas.setFont(theme.fonts.regular, small)
    if settings.footer:
        canvas.drawString(margin, footer_y, settings.footer)
    if settings.page_numbers:
        canvas.drawRightString(width - margin, footer_y, f"Page {page} of {total}")
    canvas.restoreState()


def _fold_marks(canvas, ctx, page: int) -> None:
    """Short dashed lines outside the trim, top and bottom, where the paper folds."""
    from guidebuilder.pdf.geometry import CROP_MARK_LENGTH, fold_lines

    geometry = ctx.geometry
    x0, y0, _, y1 = geometry.trim_box
    start = geometry.bleed + 0.0625 * 72
    canvas.setDash(2, 2)
    for x in fold_lines(ctx.page_width, page):
        canvas.line(x0 + x, y1 + start, x0 + x, y1 + start + CROP_MARK_LENGTH)
        canvas.line(x0 + x, y0 - start, x0 + x, y0 - start - CROP_MARK_LENGTH)
    canvas.setDash()
