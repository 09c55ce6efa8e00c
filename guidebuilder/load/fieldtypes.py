"""Value types shared by the guide and school models: inline text, colours, URLs, dates."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class StrictModel(BaseModel):
    """A mapping whose unknown keys are errors (load.unknown_key_problems words them, with the
    key that was meant, before validation, so they never hide the file's other problems)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


MAX_TEXT = 20_000  # characters of one text (a paragraph): 50 times the sample guide's longest


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:  # first: longer ones cost minutes to lay out
        raise PydanticCustomError("text_too_long", "this text is {n} characters long, over the {m} limit for one "
                                                   "paragraph; split it", {"n": f"{len(value):,}", "m": f"{MAX_TEXT:,}"})
    if _CONTROL.search(value):
        raise PydanticCustomError("control_chars", "contains a control character (remove it)")
    if not value.strip():
        raise PydanticCustomError("empty_text", "is empty (expected some text)")
    return value.strip()


Text = Annotated[str, AfterValidator(_text)]
"""Inline text: may use **strong**, *emphasis* and [label](https://url)."""


def _colour(value: Any) -> str:
    from guidebuilder.render.colours import parse_colour  # keeps ReportLab off the import path

    if not isinstance(value, str):
        raise PydanticCustomError("colour", "expected a colour like \"#0B4F6C\" or a CSS colour name")
    return parse_colour(value)


Colour = Annotated[str, BeforeValidator(_colour)]


MAX_URL = 300  # a QR code for a longer address is too dense to print at a readable size


def _url(value: str) -> str:
    value = value.strip()
    if not _URL.match(value):
        raise PydanticCustomError("url", "expected a web address starting with https:// or http://")
    if len(value) > MAX_URL:
        raise PydanticCustomError("url", "the address is {n} characters long; use one of at most {m} (a short link)",
                                  {"n": len(value), "m": MAX_URL})
    return value


Url = Annotated[str, AfterValidator(_url)]


def _language(value: str) -> str:
    if not _LANG.match(value):
        raise PydanticCustomError("language", "expected a language tag like \"en\" or \"es-MX\"")
    return value


Language = Annotated[str, AfterValidator(_language)]


def _date_text(value: Any) -> str:
    """Source dates may be partial (2025-08) or a year; keep them as the user wrote them."""
    if isinstance(value, date):
        return value.isoformat()
    value = str(value)
    if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value):
        raise PydanticCustomError("date_text", "expected a date like 2025-08 or 2025-08-15")
    return value


DateText = Annotated[str, BeforeValidator(_date_text)]


def _date(value: Any) -> date:
    """A full date, typed as 2027-03-14 (the loader keeps it as that text; a number is no date,
    although pydantic would read 0 as 1970-01-01)."""
    from datetime import datetime

    if isinstance(value, datetime) or (isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}[ Tt]\d", value.strip())):
        raise PydanticCustomError("date_with_time", "expected a date like 2027-03-14, without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass  # 2027-13-45, 2026-02-30
    raise PydanticCustomError("date", "expected a date like 2027-03-14")


Date = Annotated[date, BeforeValidator(_date)]


def _file_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*", value):
        raise PydanticCustomError("file_name", 'expected a simple name of letters, digits, "-", "_" and "." '
                                               '(it names the output files), got "{value}"', {"value": value})
    return value


FileName = Annotated[str, AfterValidator(_file_name)]
