"""Page geometry for screen and print: the trimmed page, its bleed, and room for crop marks.

All layout happens in trim coordinates shifted by `offset`: with no bleed and no marks the
offset is 0 and the page is the trimmed page.
"""

from __future__ import annotations

from dataclasses import dataclass

INCH = 72.0
CROP_MARK_LENGTH = 0.25 * INCH   # marks start at the bleed line and run outwards this far
CROP_MARK_ROOM = 0.375 * INCH    # paper beyond the bleed that holds them
PAGE_SIZES = {"letter": (612.0, 792.0), "a4": (595.2756, 841.8898)}  # width, height in pt; the one list


@dataclass(frozen=True)
class PrintOptions:
    """What the print shop needs: bleed, crop marks; and whether checklists get form fields."""

    bleed: float = 0.0
    crop_marks: bool = False
    fields: bool = True
    cmyk: bool = False

    def key(self) -> str:
        return f"bleed={self.bleed:g};marks={int(self.crop_marks)};fields={int(self.fields)};cmyk={int(self.cmyk)}"


@dataclass(frozen=True)
class Geometry:
    width: float                # the trimmed page
    height: float
    bleed: float = 0.0
    crop_marks: bool = False

    @property
    def offset(self) -> float:
        """Where the trim box starts on the sheet."""
        return self.bleed + (CROP_MARK_ROOM if self.crop_marks else 0.0)

    @property
    def media(self) -> tuple[float, float]:
        return self.width + 2 * self.offset, self.height + 2 * self.offset

    @property
    def trim_box(self) -> tuple[float, float, float, float]:
        o = self.offset
        return o, o, o + self.width, o + self.height

    @property
    def bleed_box(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.trim_box
        return x0 - self.bleed, y0 - self.bleed, x1 + self.bleed, y1 + self.bleed

    def crop_marks_lines(self) -> list[tuple[float, float, float, float]]:
        """Eight lines, two per corner, outside the bleed so they never print on the page."""
        x0, y0, x1, y1 = self.trim_box
        start, end = self.bleed + 0.0625 * INCH, self.bleed + CROP_MARK_LENGTH + 0.0625 * INCH
        lines = []
        for x, dx in ((x0, -1), (x1, 1)):
            for y, dy in ((y0, -1), (y1, 1)):
                lines.append((x + dx * start, y, x + dx * end, y))   # horizontal, along the trim edge
                lines.append((x, y + dy * start, x, y + dy * end))   # vertical
        return lines


# A letter fold (C-fold): the panel that folds in is a little narrower, so it tucks in.
FOLD_TUCK = INCH / 24
FOLD_ORDER = ("cover", "flap", "back", "inside-left", "inside-middle", "inside-right")


def fold_panels(width: float) -> dict[str, tuple[int, float, float]]:
    """Each panel of a letter-fold brochure: (page, left edge, right edge) in trim coordinates.

    Outside page (1): flap | back | cover. Inside page (2): left | middle | right, where the
    right panel is the back of the flap and just as narrow."""
    narrow = width / 3 - FOLD_TUCK
    wide = (width - narrow) / 2
    return {
        "flap": (1, 0.0, narrow), "back": (1, narrow, narrow + wide), "cover": (1, narrow + wide, width),
        "inside-left": (2, 0.0, wide), "inside-middle": (2, wide, 2 * wide), "inside-right": (2, 2 * wide, width),
    }


def fold_lines(width: float, page: int) -> list[float]:
    """Where the paper folds on `page` (x in trim coordinates)."""
    panels = fold_panels(width)
    edges = sorted({p[2] for p in panels.values() if p[0] == page})
    return edges[:-1]
