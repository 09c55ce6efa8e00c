"""The base stylesheet (layouts/base.yaml): lengths, type scale, spacing and colour roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import InputError, Problem
from guidebuilder.yamlsource import load_yaml

_UNITS = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54}


def parse_length(text) -> float:
    """'0.65in', '12mm', '18pt' or a bare number of points -> points."""
    if isinstance(text, (int, float)):
        return float(text)
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(pt|in|mm|cm)?\s*", str(text))
    if not match:
        raise ValueError(f'expected a length like "0.5in", "12mm" or "10pt", got "{text}"')
    return float(match.group(1)) * _UNITS[match.group(2) or "pt"]


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
            types[key] = TypeStyle(**value)
        except (TypeError, ValueError):
            problems.append(Problem(source.name, source.line_of(("type", key)), f"type.{key}",
                                    "expected {size: N, leading: N, weight: regular|bold|italic}"))
    if problems:
        raise InputError(problems)
    return Stylesheet(Path(path), page, section("fonts"), types, space, section("neutrals"), section("colors"))


def stylesheet_at(path: Path) -> Stylesheet:
    return load_stylesheet(Path(path), Path(path).stat().st_mtime)
