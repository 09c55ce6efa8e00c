"""The guide and school models: what a valid input file holds (see shared spec formats.md)."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag

from guidebuilder.pdf.geometry import PAGE_SIZES
from guidebuilder.load.fieldtypes import Colour, Date, DateText, FileName, Language, StrictModel, Text, Url

# ---- guide -----------------------------------------------------------------------------


class KeyFact(StrictModel):
    value: Text
    label: Text
    source: Text


class Step(StrictModel):
    title: Text
    text: Text


class Table(StrictModel):
    columns: list[Text] = Field(min_length=1, max_length=6)
    rows: list[list[Text]] = Field(min_length=1)


class Callout(StrictModel):
    title: Text | None = None
    text: Text


class BulletsBlock(StrictModel):
    bullets: list[Text] = Field(min_length=1)


class TableBlock(StrictModel):
    table: Table


class CalloutBlock(StrictModel):
    callout: Callout


class StepsBlock(StrictModel):
    steps: list[Step] = Field(min_length=1, max_length=9)


BLOCK_KINDS = ("bullets", "table", "callout", "steps")


def _block_kind(value) -> str | None:
    if isinstance(value, str):
        return "paragraph"
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    for kind, cls in zip(BLOCK_KINDS, (BulletsBlock, TableBlock, CalloutBlock, StepsBlock)):
        if isinstance(value, cls):
            return kind
    return None


Block = Annotated[
    Union[
        Annotated[Text, Tag("paragraph")],
        Annotated[BulletsBlock, Tag("bullets")],
        Annotated[TableBlock, Tag("table")],
        Annotated[CalloutBlock, Tag("callout")],
        Annotated[StepsBlock, Tag("steps")],
    ],
    Discriminator(
        _block_kind,
        custom_error_type="block",
        custom_error_message=f"expected a paragraph (text) or one of: {', '.join(BLOCK_KINDS)}",
    ),
]


class Section(StrictModel):
    heading: Text
    body: list[Block] = Field(min_length=1)


class ChecklistItem(StrictModel):
    text: Text
    detail: Text | None = None


def _item(value):
    return {"text": value} if isinstance(value, str) else value


class ChecklistGroup(StrictModel):
    heading: Text
    items: list[Annotated[ChecklistItem, BeforeValidator(_item)]] = Field(min_length=1)


class Checklist(StrictModel):
    title: Text
    intro: Text | None = None
    groups: list[ChecklistGroup] = Field(min_length=1)


class Resource(StrictModel):
    name: Text
    url: Url
    note: Text | None = None


class Source(StrictModel):
    id: Text
    title: Text
    publisher: Text | None = None
    url: Url | None = None
    date: DateText | None = None


class Guide(StrictModel):
    id: FileName
    language: Language = "en"
    title: Text
    subtitle: Text | None = None
    summary: Text
    reviewed: Date | None = None
    key_facts: list[KeyFact] = Field(default_factory=list, min_length=2, max_length=4)
    pathway: list[Step] = Field(default_factory=list, min_length=3, max_length=7)
    sections: list[Section] = Field(min_length=1)
    checklist: Checklist
    resources: list[Resource] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


# ---- school ----------------------------------------------------------------------------


class Colours(StrictModel):
    primary: Colour
    secondary: Colour | None = None
    accent: Colour | None = None


class Fonts(StrictModel):
    regular: Text | None = None
    bold: Text | None = None
    italic: Text | None = None
    bold_italic: Text | None = None


class Contact(StrictModel):
    office: Text | None = None
    phone: Text | None = None
    email: Text | None = None
    address: Text | None = None
    website: Url | None = None


class Program(StrictModel):
    name: Text
    length: Text | None = None
    format: Text | None = None
    cost: Text | None = None
    next_start: Date | None = None
    url: Url | None = None


class Event(StrictModel):
    name: Text
    date: Date | None = None
    location: Text | None = None


class School(StrictModel):
    slug: Text
    name: Text
    short_name: Text | None = None
    tagline: Text | None = None
    logo: Text | None = None
    logo_alt: Text | None = None
    colors: Colours
    fonts: Fonts | None = None
    contact: Contact = Field(default_factory=Contact)
    program: Program | None = None
    event: Event | None = None
    page_size: Literal[tuple(PAGE_SIZES)] = "letter"

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    @property
    def qr_url(self) -> str | None:
        return (self.program.url if self.program and self.program.url else None) or self.contact.website
