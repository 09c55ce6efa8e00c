"""The base stylesheet (layouts/base.yaml): lengths, type scale, spacing and colour roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import InputError, Problem
from guidebuilder.load.yamlsource import load_yaml
from guidebuilder.render.fonts import STYLES

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
    "shares": ("list_item_after", "table_before", "callout_before", "table_cell_padding", "table_cell_top",
               "table_header_rule", "callout_padding", "logo_card_padding", "fact_stacked_side", "hero_top", "hero_after", "facts_after", "step_badge",
               "step_gap", "tick_box", "tick_gap", "checklist_gutter"),
    "tables": ("column_floor",),
    "text": ("link_room",),
    "print": ("min_type",),
}
WEIGHTS = STYLES  # a type style's weight names the font style it is set in


@lru_cache(maxsize=8)
def load_stylesheet(path: Path, mtime: float = 0.0) -> Stylesheet:
    """The stylesheet at `path`, validated by the models below; every problem at once, with its line."""
    from pydantic import ValidationError

    source = load_yaml(path)
    if not isinstance(source.data, dict):
        raise InputError.at(source.name, source.line_of(()), "", "expected a mapping of keys at the top of the file")
    neutrals = source.data.get("neutrals")
    context = {"neutrals": neutrals if isinstance(neutrals, dict) else {}}
    try:
        sheet = _models().Sheet.model_validate(source.data, context=context)
    except ValidationError as exc:
        raise InputError(_problems(exc, source)) from None
    return Stylesheet(Path(path), sheet.page.model_dump(), sheet.fonts.model_dump(),
                      {key: TypeStyle(style.size, style.leading, style.weight) for key, style in sheet.type},
                      sheet.space.model_dump(), sheet.neutrals.model_dump(), sheet.colors.model_dump(),
                      {group: values.model_dump() for group, values in sheet.details})


def _problems(exc, source) -> list[Problem]:
    """Pydantic's errors worded as for the guide and school files (load.files), at their key's line."""
    from guidebuilder.load.files import _message
    from guidebuilder.load.yamlsource import dotted

    problems = set()
    for error in exc.errors(include_url=False):
        keypath = tuple(part for part in error["loc"] if part not in ("int", "float"))  # union members
        message = "unknown key" if error["type"] == "extra_forbidden" else _message(error)
        if keypath == ("details",) and error["type"] == "missing":  # a copy made before the section existed
            message += " (copy the details section from the built-in layouts/base.yaml; see docs/layouts.md)"
        problems.add(Problem(source.name, source.line_of(keypath), dotted(keypath), message))
    return sorted(problems, key=lambda p: (p.line or 0, p.key))


# ---- the models ------------------------------------------------------------------------------
# Built on first use, so importing this module loads no pydantic (the CLI starts fast).


def _refuse(message: str):
    from pydantic_core import PydanticCustomError

    return PydanticCustomError("stylesheet", "{message}", {"message": message})  # braces in it stay as typed


def _length(value) -> float:
    try:
        return parse_length(value)
    except ValueError as exc:
        raise _refuse(str(exc)) from None


def _type_style(value) -> dict:
    """{size, leading, weight}: the shape and numbers checked here, with one message; the weight by the model."""
    try:
        if not (isinstance(value, dict) and {"size", "leading"} <= set(value) <= {"size", "leading", "weight"}):
            raise ValueError
        numbers = {key: _number(value[key]) for key in ("size", "leading")}
        if not all(n > 0 for n in numbers.values()):
            raise ValueError
    except ValueError:
        raise _refuse("expected {size: N, leading: N, weight: regular|bold|italic|bold_italic} with N above 0") from None
    return {**value, **numbers}


def _weight(value) -> str:
    if value not in WEIGHTS:
        raise _refuse(f'expected one of {", ".join(WEIGHTS)}, got "{value}"')
    return value


def _hex(value) -> str:
    if not (isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value)):
        raise _refuse('expected a colour like "#1B1F24"')
    return value


def _role(value, info) -> str:
    if not _colour_role(str(value), (info.context or {}).get("neutrals", {})):
        raise _refuse(f'expected primary, secondary or accent (with an optional tint like "primary 12%"), a neutral, '
                      f'or "#RRGGBB"; got "{value}"')
    return str(value)


def _positive_number(value):
    try:
        number = _number(value)
        if not number > 0:
            raise ValueError
    except ValueError:
        raise _refuse(f'expected a number above zero, got "{value}"') from None
    return number


@lru_cache(maxsize=1)
def _models():
    """The stylesheet's models: each section requires its REQUIRED keys; page, type, space, neutrals
    and colors also take keys of your own (checked the same way), fonts and details take no others."""
    from types import SimpleNamespace
    from typing import Annotated, Union

    from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

    Length = Annotated[float, BeforeValidator(_length)]
    Hex = Annotated[str, BeforeValidator(_hex)]
    Role = Annotated[str, BeforeValidator(_role)]
    Number = Annotated[Union[int, float], BeforeValidator(_positive_number)]
    closed = ConfigDict(extra="forbid", frozen=True)

    class TypeStyleModel(BaseModel):
        model_config = closed
        size: Union[int, float]
        leading: Union[int, float]
        weight: Annotated[str, BeforeValidator(_weight)] = "regular"

    Style = Annotated[TypeStyleModel, BeforeValidator(_type_style)]

    def open_section(name: str, value_type):
        """A section with its required keys, and any others of the same kind."""
        return create_model(name, __base__=_with_typed_extra(value_type),
                            **{key: (value_type, ...) for key in REQUIRED[name.lower()]})

    def _with_typed_extra(value_type):
        class Section(BaseModel):
            model_config = ConfigDict(extra="allow", frozen=True)
            __pydantic_extra__: dict[str, value_type] = Field(init=False)
        return Section

    def closed_section(name: str, keys, value_type):
        return create_model(name, __config__=closed, **{key: (value_type, ...) for key in keys})

    Details = create_model("Details", __config__=closed,
                           **{group: (closed_section(group.title(), keys, Number), ...) for group, keys in DETAILS.items()})
    Sheet = create_model(
        "Sheet", __config__=closed,
        page=(open_section("Page", Length), ...), fonts=(closed_section("Fonts", STYLES, str), ...),
        type=(open_section("Type", Style), ...), space=(open_section("Space", Length), ...),
        neutrals=(open_section("Neutrals", Hex), ...), colors=(open_section("Colors", Role), ...),
        details=(Details, ...))
    return SimpleNamespace(Sheet=Sheet)


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
