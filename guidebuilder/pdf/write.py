"""Stage 4, write: flowables -> PDF bytes (deterministic) -> a file (atomically).

Pages after the first carry a slim brand band; every page a footer with page numbers.
Both are page furniture drawn outside the story.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from guidebuilder import __version__
from guidebuilder.errors import BuildError, display_path

PAGE_SIZES = {"letter": (612.0, 792.0), "a4": (595.2756, 841.8898)}


def _numbered_canvas(furniture, geometry):
    """A canvas that holds its pages until the end, so each footer can say 'Page N of M'.
    It writes a tagged PDF (see tagging.py); the furniture is a pagination artifact."""
    from guidebuilder.pdf.tagging import TaggedCanvas, artifact

    class NumberedCanvas(TaggedCanvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages = []
            if geometry.offset:  # print mode: tell the print shop where to cut
                self.setTrimBox(geometry.trim_box)
                self.setBleedBox(geometry.bleed_box)

        def showPage(self):
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                with artifact(self, "Pagination"):
                    furniture(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


SAFE_MARGIN = 18.0  # text stays 0.25 in inside the trim


class TooLarge(BuildError):
    """A block that cannot be split is taller than the page."""


def frame_bottom(theme) -> float:
    """Where the text frames end, above the footer."""
    return theme.page("footer") + 12


def render_pdf(flowables, ctx) -> tuple[bytes, int]:
    """The PDF bytes of `flowables` and its page count."""
    from io import BytesIO

    from reportlab.platypus import BaseDocTemplate

    from guidebuilder.pdf.reportlab import rlspeedups
    from guidebuilder.render.colours import as_cmyk

    rlspeedups.install()
    theme, info = ctx.theme, ctx.info
    margin = theme.page("margin")
    footer_room = frame_bottom(theme)
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=ctx.geometry.media, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=footer_room, title=info.get("title") or "", author=info.get("author") or "",
        subject=info.get("subject") or "", keywords=info.get("keywords") or "",
        creator=f"guidebuilder {__version__}", producer=f"guidebuilder {__version__} (ReportLab)",
        lang=info.get("lang") or "en", invariant=1, initialFontName=theme.fonts.regular,
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
            raise TooLarge("a block (a table, panel or group) is taller than a whole page") from None
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

    if ctx.info.get("fold") == "letter":
        return _fold_frames(story, ctx, frame)
    full_first = [frame(margin, bottom, inner, height - margin - bottom, "first")]
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
    poster_height = stacked_height(poster, inner, height - margin - bottom) + 1
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

    from guidebuilder.render.components.fold import panel_insets
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
            raise BuildError("a brochure holds only <fold-panel> elements at its top level")
        else:
            panels[current].append(flowable)
    frames, overflowing = {}, []
    for name, (page, left, right) in fold_panels(ctx.page_width).items():
        inset_left, inset_right = panel_insets(ctx, left, right)
        frames[name] = frame(left + inset_left, margin, right - left - inset_left - inset_right,
                             height - 2 * margin, name)
        needed = stacked_height(panels[name], frames[name]._width, frames[name]._height)
        if needed > frames[name]._height + 0.5:
            overflowing.append(f'"{name}" by {(needed - frames[name]._height) / 72:.2f} in')
    if overflowing:
        raise BuildError(f"panels overflow: {', '.join(overflowing)}; shorten what the layout puts there")
    flow = []
    for i, name in enumerate(FOLD_ORDER):
        flow += panels[name] + ([FrameBreak()] if i < len(FOLD_ORDER) - 1 else [])
    return flow, [PageTemplate("outside", [frames[n] for n in FOLD_ORDER[:3]], autoNextPageTemplate="inside"),
                  PageTemplate("inside", [frames[n] for n in FOLD_ORDER[3:]])]


def _furniture(canvas, page: int, total: int, ctx) -> None:
    """The slim band on pages after the first and the footer on every page."""
    from reportlab.lib.colors import HexColor

    theme, info, geometry = ctx.theme, ctx.info, ctx.geometry
    width, height, bleed = ctx.page_width, ctx.page_height, geometry.bleed
    margin = theme.page("margin")
    small, _ = theme.size("small")
    small = max(small, 7.5)
    canvas.saveState()
    if geometry.crop_marks:
        canvas.setStrokeColor(HexColor("#000000"))
        canvas.setLineWidth(0.5)
        for x0, y0, x1, y1 in geometry.crop_marks_lines():
            canvas.line(x0, y0, x1, y1)
    if geometry.crop_marks and info.get("fold") == "letter":
        _fold_marks(canvas, ctx, page)
    canvas.translate(geometry.offset, geometry.offset)  # from here on, trim coordinates
    if page > 1 and info.get("running-header"):
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
        if info.get("running-header"):
            canvas.setFont(theme.fonts.regular, size)
            canvas.drawRightString(width - margin, baseline, info["running-header"])
    if not info.get("footer") and not info.get("page-numbers", True):
        canvas.restoreState()
        return
    footer_y = theme.page("footer") - small
    canvas.setStrokeColor(HexColor(theme.colour("rule")))
    canvas.setLineWidth(0.5)
    canvas.line(margin, footer_y + small + 4, width - margin, footer_y + small + 4)
    canvas.setFillColor(HexColor(theme.muted))
    canvas.setFont(theme.fonts.regular, small)
    if info.get("footer"):
        canvas.drawString(margin, footer_y, info["footer"])
    if info.get("page-numbers", True):
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


def lock_while_writing(handle) -> None:
    """Hold a lock on a temporary file until it is renamed (the lock goes with the process): a
    later run removes only temporaries nobody holds (batch.remove_stale_temporaries)."""
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass  # no locks here (Windows, some network filesystems): only old temporaries are removed


def write_atomic(path: Path, data: bytes, before_rename=None) -> None:
    """Write `data` to `path` through a temporary file and a rename: never a half-written PDF.
    `before_rename(temporary_path)` runs once the bytes are complete (to record them first)."""
    with open_atomic(path, before_rename) as handle:
        handle.write(data)


@contextlib.contextmanager
def open_atomic(path: Path, before_rename=None):
    """A file handle to write `path` through: the bytes go to a temporary file in the same folder,
    renamed over `path` when the block ends without an error (removed otherwise)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BuildError(f"{display_path(path.parent)}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            lock_while_writing(handle)
            yield handle
            handle.flush()
            os.chmod(temp, 0o644)
            if before_rename is not None:
                before_rename(Path(temp))
            os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BuildError(f"{display_path(path)}: cannot write ({exc.strerror})") from None
        raise


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, completely or not at all: a temporary file linked
    into place (a link never replaces an existing file), or renamed where links are not supported.
    Raises FileExistsError when something is already at `path`."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        try:
            os.link(temp, path)  # raises FileExistsError if something is there
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT file systems)
            if os.path.lexists(path):
                raise FileExistsError(path) from None
            os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
