"""Colour parsing and WCAG contrast arithmetic."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic_core import PydanticCustomError


@lru_cache(maxsize=1)
def _css_names() -> dict[str, str]:
    from reportlab.lib import colors

    return {name.lower(): "#" + c.hexval()[2:].upper() for name, c in colors.getAllNamedColors().items()}


NO_INK = {"transparent", "none", "currentcolor", "inherit", "initial", "unset"}  # CSS words, not colours


def parse_colour(value: str) -> str:
    """'#abc', '#AABBCC' or a CSS name -> '#AABBCC'."""
    text = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return text.upper()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", text):
        return "#" + "".join(c * 2 for c in text[1:]).upper()
    if text.lower() in NO_INK:
        raise PydanticCustomError(
            "colour", '"{value}" prints no colour (it would come out black); expected a colour like "#0B4F6C", '
                      '"#0BF" or a CSS colour name like "navy"', {"value": text})
    names = _css_names()
    if text.lower() in names:
        return names[text.lower()]
    from guidebuilder.errors import did_you_mean

    hint = did_you_mean(text.lower(), names) if not text.startswith("#") else ""
    raise PydanticCustomError(
        "colour", 'expected a colour like "#0B4F6C" or a CSS colour name, got "{value}"{hint}',
        {"value": text, "hint": hint})


def rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def to_hex(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{round(max(0, min(1, c)) * 255):02X}" for c in (r, g, b))


@lru_cache(maxsize=4096)
def luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@lru_cache(maxsize=4096)
def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=4096)
def mix(a: str, b: str, amount_of_b: float) -> str:
    """A blend of two colours; mix(brand, white, 0.85) is a 15% tint of brand."""
    ra, rb = rgb(a), rgb(b)
    return to_hex(*(x + (y - x) * amount_of_b for x, y in zip(ra, rb)))


@lru_cache(maxsize=4096)
def readable_on(colour: str, background: str, minimum: float = 4.5) -> str:
    """`colour`, darkened (or lightened) just enough to reach `minimum` contrast on `background`."""
    if contrast(colour, background) >= minimum:
        return colour
    towards = "#000000" if luminance(background) > 0.18 else "#FFFFFF"
    for step in range(1, 21):
        candidate = mix(colour, towards, step / 20)
        if contrast(candidate, background) >= minimum:
            return candidate
    return towards


def as_cmyk(colour):
    """A ReportLab colour as CMYK (for print shops that ask for it); greys become black ink only."""
    from reportlab.lib.colors import CMYKColor, toColor

    c = toColor(colour)
    if isinstance(c, CMYKColor):
        return c
    r, g, b = c.red, c.green, c.blue
    k = 1 - max(r, g, b)
    if k >= 1:
        return CMYKColor(0, 0, 0, 1, alpha=c.alpha)
    if r == g == b:
        return CMYKColor(0, 0, 0, k, alpha=c.alpha)
    return CMYKColor((1 - r - k) / (1 - k), (1 - g - k) / (1 - k), (1 - b - k) / (1 - k), k, alpha=c.alpha)
