"""The theme: the base stylesheet filled in with one school's brand.

Colours are resolved per role, and every text colour is checked against its background
(WCAG 2.1 AA): a brand colour too light for text is darkened for text and rules, while
fills keep the true brand colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guidebuilder.errors import Problem, note
from guidebuilder.render.colours import contrast, mix, readable_on
from guidebuilder.render.fonts import STYLES, FontFamily, default_font_dir, register_family
from guidebuilder.render.stylesheet import Stylesheet

WHITE = "#FFFFFF"

LINE_ROLES = ("rule", "notes_rule")
INK_ROLES = ("heading", "link", "step_number", "fact_value", "tick")  # the brand colour set as text  # hairlines that must stay visible in print

_STYLES: dict = {}  # per process: ParagraphStyles by value

# Colour roles set as text, the fill they sit on (None: the paper) and whether the text is large.
TEXT_ROLES = (("heading", None, False), ("link", None, False), ("fact_value", "fact_card", True),
              ("step_number", None, True), ("tick", None, False))


@dataclass
class Theme:
    sheet: Stylesheet
    brand: dict            # primary, secondary, accent as hex
    fonts: FontFamily
    scale: float = 1.0     # the checklist shrinks its type to fit one page

    # ---- colours -------------------------------------------------------------------
    def colour(self, role_or_value: str) -> str:
        """A colour role from the stylesheet ('fact_card'), or a role expression ('accent 15%')."""
        expression = self.sheet.colors.get(role_or_value, role_or_value)
        parts = str(expression).split()
        if not parts:
            raise KeyError('an empty colour role ""')
        if parts[0] == "neutral":
            return self.sheet.neutrals[parts[1]]
        if parts[0] in self.sheet.neutrals:
            return self.sheet.neutrals[parts[0]]
        base = self.brand.get(parts[0]) or (parts[0] if parts[0].startswith("#") else None)
        if parts[0] == "primary" and len(parts) == 1 and role_or_value in INK_ROLES:
            base = self.brand["primary_ink"]
        if base is None:
            raise KeyError(f'unknown colour role "{role_or_value}"')
        if len(parts) == 2 and parts[1].endswith("%"):
            tint = mix(base, WHITE, 1 - float(parts[1][:-1]) / 100)
            if role_or_value in LINE_ROLES and contrast(tint, WHITE) < 1.4:  # a pale brand: keep lines visible
                return self.sheet.neutrals["rule"]
            return tint
        return base

    def readable(self, wanted: str, background: str = WHITE, large: bool = False) -> str:
        """`wanted` as text on `background`, meeting WCAG AA (3:1 for large text, else 4.5:1):
        unchanged when it passes; on a brand fill, white or near-black; on paper or a light
        tint, a darker shade of it. The one rule for every text colour and for `check`'s notes."""
        from guidebuilder.render.colours import luminance

        minimum = 3.0 if large else 4.5
        if contrast(wanted, background) >= minimum:
            return wanted
        if luminance(background) < 0.7:
            return self.text_on(background)
        return readable_on(wanted, background, minimum)

    def text_on(self, fill: str) -> str:
        """Near-black or white, whichever reads better on `fill`."""
        dark = self.sheet.neutrals["text"]
        return WHITE if contrast(WHITE, fill) >= contrast(dark, fill) else dark

    @property
    def text(self) -> str:
        return self.sheet.neutrals["text"]

    @property
    def muted(self) -> str:
        return self.sheet.neutrals["muted"]

    # ---- sizes ---------------------------------------------------------------------
    def space(self, name: str) -> float:
        return self.sheet.space[name] * (self.scale if name not in ("rule",) else 1)

    def detail(self, group: str, name: str):
        """A finer design number from the stylesheet's `details` (never scaled), e.g. ("stripes", "card")."""
        return self.sheet.details[group][name]

    @property
    def min_print_size(self) -> float:
        """The smallest type a printed page should carry (design brief): details.print.min_type."""
        return self.detail("print", "min_type")

    def page(self, name: str) -> float:
        return self.sheet.page[name]

    def size(self, name: str) -> tuple[float, float]:
        """Size and leading of type style `name`; shrinking never takes small print below details.print.min_type."""
        style = self.sheet.type[name]
        size = max(style.size * self.scale, min(style.size, self.min_print_size))
        return size, style.leading * size / style.size

    def font(self, name: str) -> str:
        return self.fonts.for_weight(self.sheet.type[name].weight)

    def style(self, name: str, colour: str | None = None, **overrides):
        """A ParagraphStyle for type style `name`; equal styles are one object across themes,
        so parsed paragraphs can be reused from school to school (see text.paragraph)."""
        size, leading = self.size(name)
        key = (self.font(name), size, leading, colour or self.text, self.fonts,
               tuple(sorted(overrides.items())))
        style = _STYLES.get(key)
        if style is None:
            from reportlab.lib.colors import HexColor
            from reportlab.lib.styles import ParagraphStyle

            if len(_STYLES) > 1000:
                _STYLES.clear()
            style = _STYLES[key] = ParagraphStyle(
                f"{name}-{len(_STYLES)}", fontName=key[0], fontSize=size, leading=leading,
                textColor=HexColor(key[3]), bulletFontName=self.fonts.regular,
                allowWidows=0, allowOrphans=0, uriWasteReduce=0.3, **overrides)
        return style

    def contrast_notes(self) -> list[str]:
        """What the theme did to keep brand colours readable, for `guidebuilder check`."""
        notes = []
        for role, background_role, large in TEXT_ROLES:
            background = WHITE if background_role is None else self.colour(background_role)
            expression = str(self.sheet.colors.get(role, role)).split()
            wanted = self.brand.get(expression[0], self.colour(role)) if len(expression) == 1 else self.colour(role)
            used = self.readable(self.colour(role), background, large)
            if used == wanted:
                continue
            minimum = 3.0 if large else 4.5
            where = "white" if background_role is None else f"the {background_role.replace('_', ' ')} tint"
            why = (" (the secondary colour: the primary is too light for text)"
                   if self.colour(role) == self.brand["primary_ink"] != self.brand["primary"] else "")
            notes.append(f"{role.replace('_', ' ')} text: {wanted} on {where} is {contrast(wanted, background):.1f}:1 "
                         f"(needs {minimum:g}:1); using {used} ({contrast(used, background):.1f}:1); "
                         f"fills keep {wanted}{why}")
        return notes

    def scaled(self, scale: float) -> "Theme":
        return Theme(self.sheet, self.brand, self.fonts, scale)


def make_theme(sheet: Stylesheet, school, school_file: Path | None) -> Theme:
    primary = school.colors.primary
    secondary = school.colors.secondary or primary
    accent = school.colors.accent or secondary
    # A primary too light for text (a gold, a sky blue) would only pass darkened to an olive or
    # a grey-blue; a secondary that reads well is closer to the brand.
    ink = primary
    if contrast(primary, WHITE) < 3.0 and contrast(secondary, WHITE) >= 4.5:
        ink = secondary
    brand = {"primary": primary, "secondary": secondary, "accent": accent, "primary_ink": ink}
    return Theme(sheet, brand, _family(sheet, school, school_file))


def _family(sheet: Stylesheet, school, school_file: Path | None) -> FontFamily:
    if school.fonts and school.fonts.regular and school_file is not None:
        folder = Path(school_file).resolve().parent
        files = []
        for style in STYLES:
            given = getattr(school.fonts, style)
            if given is None:
                stand_in = school.fonts.bold if style == "bold_italic" and school.fonts.bold else school.fonts.regular
                note(Problem(school.slug, None, "", f"no {style.replace('_', ' ')} font given; "
                                                    f"{Path(stand_in).name} stands in"))
                files.append(folder / stand_in)
            else:
                files.append(folder / given)
        return register_family(tuple(files))
    base = default_font_dir()
    return register_family(tuple(base / sheet.fonts[style] for style in STYLES))
