"""Every character printed must exist in the font: a missing glyph is an error, never an empty box."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from guidebuilder.errors import InputError, Problem, display_path
from guidebuilder.load.yamlsource import dotted


@lru_cache(maxsize=32)
def _covered(font_names: tuple[str, ...]) -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    sets = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in font_names]
    return frozenset(set.intersection(*sets))


_CHECKED: dict = {}  # (font names, text) -> missing characters, per process


def _printable_missing(text: str, covered: frozenset[int], fonts: tuple[str, ...]) -> list[str]:
    key = (fonts, text)
    missing = _CHECKED.get(key)
    if missing is None:
        if len(_CHECKED) > 50000:
            _CHECKED.clear()
        missing = _CHECKED[key] = sorted({c for c in set(text) if ord(c) not in covered and not c.isspace()
                                          and unicodedata.category(c) not in ("Cc", "Cf")})
    return missing


def _describe(chars: list[str]) -> str:
    return ", ".join(f'"{c}" (U+{ord(c):04X})' for c in chars[:8]) + (" ..." if len(chars) > 8 else "")


def _strings(data, keypath=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, keypath + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, keypath + (i,))
    elif isinstance(data, str):
        yield keypath, data


def check_glyphs(family, sources, markup: str, layout_file) -> None:
    """Raise InputError naming each text (file, line, key) with characters the font lacks."""
    fonts = (family.regular, family.bold, family.italic, family.bold_italic)
    covered = _covered(fonts)
    from reportlab.pdfbase import pdfmetrics

    font = pdfmetrics.getFont(family.regular).face.name  # the font's own name, e.g. SourceSansPro-Regular
    font = font.decode() if isinstance(font, bytes) else font
    problems = []
    for source in sources:
        if source is not None:
            problems += _source_problems(source, fonts, font, covered)
    if not problems:  # text the layout itself adds (bullets, separators) must print too
        invisible = _layout_invisible(markup, layout_file)
        if invisible:
            problems.append(invisible)
    if not problems:
        missing = _markup_missing(markup, fonts, covered)
        if missing:
            problems.append(Problem(display_path(layout_file), None, "",
                                    f"the font {font} has no glyph for {_describe(missing)}"))
    if problems:
        raise InputError(problems)


# A school's values that are never set in type: colour codes and file names. A font without
# "#" or Latin letters must not be blamed on colors.primary or fonts.regular.
NOT_PRINTED = {("colors",), ("fonts",), ("logo",), ("page_size",)}

_SOURCE_PROBLEMS: dict = {}  # (fonts, id(source)) -> (source, problems): a batch checks the guide once


def _source_problems(source, fonts, font, covered) -> list[Problem]:
    key = (fonts, id(source))
    hit = _SOURCE_PROBLEMS.get(key)
    if hit is not None and hit[0] is source:
        return hit[1]
    problems = []
    for keypath, text in _strings(source.data):
        if keypath[:1] in NOT_PRINTED:
            continue
        missing = _printable_missing(text, covered, fonts)
        if missing:
            problems.append(Problem(source.name, source.line_of(keypath), dotted(keypath),
                                    f"the font {font} has no glyph for {_describe(missing)}; "
                                    f"use a font that covers it, or other characters"))
    if len(_SOURCE_PROBLEMS) > 256:  # holds its sources: bounded, as a worker sees every school
        _SOURCE_PROBLEMS.clear()
    _SOURCE_PROBLEMS[key] = (source, problems)
    return problems


@lru_cache(maxsize=64)
def _markup_missing(markup: str, fonts: tuple[str, ...], covered: frozenset[int]) -> list[str]:
    # The usual case, quickly: every character of the markup, and of its character references
    # (the markup is well-formed XML by now, so no other entities), is in the font.
    if "<!--" in markup:  # comments are not printed
        markup = re.sub(r"<!--.*?-->", " ", markup, flags=re.S)
    chars = set(markup) | {"\u2022", "\u00b7"}
    codes = [int(ref[1:], 16) if ref[0] in "xX" else int(ref)
             for ref in re.findall(r"&#([xX][0-9a-fA-F]+|[0-9]+);", markup)]
    if all(code <= 0x10FFFF for code in codes):  # else (in a comment, say) the full pass below
        chars.update(map(chr, codes))
        if not _printable_missing("".join(sorted(chars)), covered, fonts):
            return []
    import html

    # Element text and attribute values (fact labels, footers...), and what code adds: bullets.
    printed = html.unescape(re.sub(r"</?[\w-]+|[\w-]+=", " ", markup)) + "\u2022\u00b7"
    return _printable_missing(printed, covered, fonts)


def _layout_invisible(markup: str, layout_file) -> Problem | None:
    """A zero-width, direction or C1 control character the layout types (the guide's and school's
    are removed or refused at load): it would print as a box, so it is an error at its line."""
    from guidebuilder.load.unicodetext import character_name, is_invisible, refused_reason

    codes = {int(ref[1:], 16) if ref[0] in "xX" else int(ref)
             for ref in re.findall(r"&#([xX][0-9a-fA-F]{1,6}|[0-9]{1,7});", markup)}
    chars = set(markup) | {chr(code) for code in codes if code <= 0x10FFFF}
    bad = sorted(c for c in chars if ord(c) >= 0x80 and (is_invisible(c) or refused_reason(c)))
    if not bad:
        return None
    char = bad[0]
    line = None
    try:
        from pathlib import Path

        text = Path(layout_file).read_text(encoding="utf-8")
        for number, typed in enumerate(text.splitlines(), 1):
            if char in typed or re.search(rf"&#(?:[xX]0*{ord(char):X}|0*{ord(char)});", typed, re.I):
                line = number
                break
    except (OSError, UnicodeDecodeError):
        pass  # the error still names the layout and the character
    reason = refused_reason(char) or "an invisible character that would print as a box"
    return Problem(display_path(layout_file), line, "", f"the layout prints {character_name(char)}, {reason}; remove it")
