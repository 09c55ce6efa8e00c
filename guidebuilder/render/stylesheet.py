"""The base stylesheet (layouts/base.yaml): lengths, type scale, spacing and colour roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import InputError, Problem
from guidebuilder.load.yamlsource import load_yaml

_UNITS = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54}


def parse_length(text) -> float:
    """'0.65in', '12mm', '18pt' or a bare number of points -> points."""
    if isinstance(text, (int, float)):
        return float(text)
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(pt|in|mm|cm)?\s*", str(text))
    if not match:
        raise ValueError(f'expected a length like "0.5in", "12mm" or "10pt", got "{text}"')
    return float(match.group(1)) * _UNITS[match.group(2) or "pt"]


def _number(text) -> int | float:
    """A size as typed: the YAML loader keeps "10.5" as text (an int stays an int, as before)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    if isinstance(text, str) and re.fullmatch(r"\d+", text.strip()):
        return int(text)
    if isinstance(text, str) and re.fullmatch(r"\d+\.\d+|\.\d+", text.strip()):
        return float(text)
    raise ValueError(text)


@dataclass(frozen=True)
class TypeStyle:
    size: float
    leading: float
    weight: str = "regular"


@dataclass(frozen=True)
class Stylesheet:
    path: Path
    page: dict
    fonts: dict
    type: dict
    space: dict
    neutrals: dict
    colors: dict
    details: dict  # group -> key -> number, e.g. details["stripes"]["card"]


# What the components read: a stylesheet without one of these is an error, never a KeyError.
REQUIRED = {
    "page": ("margin", "gutter", "running_header", "footer", "panel_margin", "fold_gutter"),
    "space": ("section", "heading_after", "paragraph", "block", "check_gap", "panel_padding", "hero_padding",
              "list_indent", "rule"),
    "type": ("title", "subtitle", "brand", "lead", "h2", "h3", "body", "table", "small", "fact_value",
             "fact_label", "step_number", "step_title", "step_text", "check", "check_detail", "band"),
    "neutrals": ("text", "muted", "rule"),
    "colors": ("band", "heading", "rule", "link", "step_number", "fact_card", "fact_value", "fact_rule", "callout",
               "callout_rule", "panel", "table_header", "tick", "notes_rule"),
}
# The finer design numbers (`details`), each a plain number above zero: pt, or a share of another value.
DETAILS = {
    "stripes": ("card", "callout"),
    "lines": ("tick_min", "notes_min", "footer", "footer_gap"),
    "after": ("callout_title", "fact_value", "fact_label", "step_title", "step_title_stacked", "school_name",
              "step_badge"),
    "shares": ("list_item_after", "table_before", "callout_before", "table_cell_padding", "callout_padding",
               "logo_card_padding", "fact_stacked_side", "hero_top", "hero_after", "facts_after", "step_badge",
               "step_gap", "tick_box", "tick_gap", "checklist_gutter"),
    "print": ("min_type",),
}
WEIGHTS = ("regular", "bold", "italic", "bold_italic")
FONT_STYLES = ("regular", "bold", "italic", "bold_italic")


@lru_cache(maxsize=8)
def load_stylesheet(path: Path, mtime: float = 0.0) -> Stylesheet:
    source = load_yaml(path)
    data = source.data if isinstance(source.data, dict) else {}
    problems = []

    def section(name):
        value = data.get(name)
        if not isinstance(value, dict):
            problems.append(Problem(source.name, source.line_of((name,)), name, "expected a mapping"))
            return {}
        return value

    page, space = {}, {}
    for key, value in section("page").items():
        try:
            page[key] = parse_length(value)
        except ValueError as exc:
            problems.append(Problem(source.name, source.line_of(("page", key)), f"page.{key}", str(exc)))
    for key, value in section("space").items():
        try:
            space[key] = parse_length(value)
        except ValueError as exc:
            problems.append(Problem(source.name, source.line_of(("space", key)), f"space.{key}", str(exc)))
    types = {}
    for key, value in section("type").items():
        try:
            style = TypeStyle(**value)
            style = TypeStyle(_number(style.size), _number(style.leading), style.weight)
            if not all(n > 0 for n in (style.size, style.leading)):
                raise ValueError
            types[key] = style
        except (TypeError, ValueError, AttributeError):
            problems.append(Problem(source.name, source.line_of(("type", key)), f"type.{key}",
                                    "expected {size: N, leading: N, weight: regular|bold|italic|bold_italic} with N above 0"))
    fonts, neutrals, colors = section("fonts"), section("neutrals"), section("colors")
    for key, style in types.items():
        if style.weight not in WEIGHTS:
            problems.append(Problem(source.name, source.line_of(("type", key)), f"type.{key}.weight",
                                    f'expected one of {", ".join(WEIGHTS)}, got "{style.weight}"'))
    for key in FONT_STYLES:
        if not isinstance(fonts.get(key), str):
            problems.append(Problem(source.name, source.line_of(("fonts",)), f"fonts.{key}", "required key is missing"))
    for key, value in neutrals.items():
        if not (isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value)):
            problems.append(Problem(source.name, source.line_of(("neutrals", key)), f"neutrals.{key}",
                                    'expected a colour like "#1B1F24"'))
    for key, value in colors.items():
        if not _colour_role(str(value), neutrals):
            problems.append(Problem(source.name, source.line_of(("colors", key)), f"colors.{key}",
                                    f'expected primary, secondary or accent (with an optional tint like "primary '
                                    f'12%"), a neutral, or "#RRGGBB"; got "{value}"'))
    for name, keys in REQUIRED.items():
        have = {"page": page, "space": space, "type": types, "neutrals": neutrals, "colors": colors}[name]
        for key in keys:
            if key not in have and not any(p.key == f"{name}.{key}" for p in problems):
                problems.append(Problem(source.name, source.line_of((name,)), f"{name}.{key}", "required key is missing"))
    given_details = section("details")  # not a mapping: one problem, not one per group
    details = _details(source, given_details, problems) if isinstance(data.get("details"), dict) else {}
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.key)))
    return Stylesheet(Path(path), page, fonts, types, space, neutrals, colors, details)


def _details(source, given: dict, problems: list) -> dict:
    """The `details` section: every group of DETAILS with every key, each a number above zero."""
    details = {}
    for group, keys in DETAILS.items():
        values = given.get(group)
        if not isinstance(values, dict):
            line = source.line_of(("details", group) if group in given else ("details",))
            problems.append(Problem(source.name, line, f"details.{group}",
                                    "expected a mapping" if group in given else "required key is missing"))
            continue
        details[group] = {}
        for key in keys:
            if key not in values:
                problems.append(Problem(source.name, source.line_of(("details", group)), f"details.{group}.{key}",
                                        "required key is missing"))
                continue
            try:
                number = _number(values[key])
                if not number > 0:
                    raise ValueError
                details[group][key] = number
            except ValueError:
                problems.append(Problem(source.name, source.line_of(("details", group, key)),
                                        f"details.{group}.{key}", f'expected a number above zero, got "{values[key]}"'))
    return details


def _colour_role(value: str, neutrals: dict) -> bool:
    parts = value.split()
    if len(parts) == 2 and parts[0] == "neutral":
        return parts[1] in neutrals
    if len(parts) == 1 and (parts[0] in neutrals or re.fullmatch(r"#[0-9A-Fa-f]{6}", parts[0])):
        return True
    return (parts[0] in ("primary", "secondary", "accent") and
            (len(parts) == 1 or (len(parts) == 2 and re.fullmatch(r"\d{1,3}(\.\d+)?%", parts[1]) is not None)))


def stylesheet_at(path: Path) -> Stylesheet:
    return load_stylesheet(Path(path), Path(path).stat().st_mtime)
