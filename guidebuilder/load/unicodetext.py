"""Characters that never print as the user sees them: found at load, before anything is built.

Every text is NFC-normalised (a decomposed "e" + U+0301 prints as one "é", not a displaced accent).
Then, by what the character would do on paper:
- direction controls (U+202A-202E, U+2066-2069, U+200E/F, U+061C) silently reorder the printed
  text, and C1 controls (U+0080-009F) are left-overs of text decoded in the wrong encoding:
  both are errors, as is anything XML 1.0 cannot carry (noncharacters like U+FFFF, lone
  surrogates, C0 controls other than tab and line breaks);
- zero-width characters (U+200B/C/D, U+2060, U+FEFF inside text, and other invisible format
  characters) have no visible effect in the editor but would print as boxes: they are removed,
  with a warning naming file, line and key, so a pasted tagline does not stop a print run.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SOFT_HYPHEN = "\u00ad"  # ReportLab prints it only where it breaks a word: a real character


def _is_xml_forbidden(code: int) -> bool:
    """Not a character XML 1.0 allows (C0 controls are the Text validator's, which names the key)."""
    return (0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE)


def character_name(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE', or just 'U+0085' for a character without a name."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def refused_reason(char: str) -> str | None:
    code = ord(char)
    if char in BIDI_CONTROLS:
        return "an invisible direction control that reorders the printed text"
    if 0x80 <= code <= 0x9F:
        return "a control character (often left over from text saved in another encoding)"
    if 0xD800 <= code <= 0xDFFF:
        return "half of a surrogate pair, which is no character on its own"
    if _is_xml_forbidden(code):
        return "which is not a character (a Unicode noncharacter)"
    return None


def is_invisible(char: str) -> bool:
    """A zero-width or other format character that prints nothing, or a box."""
    return char != SOFT_HYPHEN and unicodedata.category(char) == "Cf" and char not in BIDI_CONTROLS


def refused_message(text: str) -> str | None:
    """'contains U+202E RIGHT-TO-LEFT OVERRIDE, an invisible ...; remove it', for the first such character."""
    if text.isascii():
        return None
    refused = [c for c in set(text) if ord(c) >= 0x80 and refused_reason(c)]
    if not refused:
        return None
    char = min(refused, key=text.index)  # the first in the text (distinct characters only: fast)
    return f"contains {character_name(char)}, {refused_reason(char)}; remove it"


def clean_text(text: str) -> tuple[str, list[str]]:
    """The text NFC-normalised with invisible characters removed, and the names of those removed."""
    if text.isascii():  # the usual case, quickly
        return text, []
    text = unicodedata.normalize("NFC", text)
    removed = sorted(c for c in set(text) if is_invisible(c))
    if removed:
        text = "".join(c for c in text if c not in removed)
    return text, [character_name(c) for c in removed]


def warn_removed(where: str, names: list[str]) -> None:
    """A note (said once per run, however often the text is read) that invisible characters went."""
    from guidebuilder.errors import Problem, note

    note(Problem(where, None, "", f"removed {', '.join(names)} (invisible, {'they' if len(names) > 1 else 'it'} "
                                  f"would print as a box)"))
