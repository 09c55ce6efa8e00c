"""What the layout's <document> element says about the whole document (metadata, furniture,
fit, fold), and the state building one document keeps: both read by later components and by
the write stage (pdf/pages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class DocumentSettings:
    """The attributes of <document> (see components/text.py: Document), as typed values."""

    title: str | None = None
    subject: str | None = None
    keywords: str | None = None
    author: str | None = None
    lang: str = "en"
    fit: str = "flow"                    # "flow" or "one-page"
    min_font_size: float = 8.0
    max_pages: int = 4
    running_header: str | None = None    # the slim brand band's text on pages after the first
    footer: str | None = None
    page_numbers: bool = True
    orientation: str = "portrait"
    fold: str = "none"                   # "letter": a tri-fold brochure

    @classmethod
    def from_attributes(cls, attributes: dict) -> "DocumentSettings":
        """From <document>'s attributes as read (names with hyphens, every one present)."""
        return cls(**{f.name: attributes[f.name.replace("_", "-")] for f in fields(cls)})

    @property
    def folded(self) -> bool:
        return self.fold == "letter"


@dataclass
class BuildState:
    """What building one document has met so far."""

    has_columns: bool = False                             # at most one <columns> per document
    field_names: set[str] = field(default_factory=set)    # form field names given out (unique per file)
