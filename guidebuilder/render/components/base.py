"""The component model: one small class per markup element.

A component declares its attributes (with types and defaults), what children it takes,
and its accessibility role; `build()` turns it into ReportLab flowables styled by the theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from guidebuilder.errors import did_you_mean
from guidebuilder.render.stylesheet import parse_length

REGISTRY: dict[str, type["Component"]] = {}


class MarkupError(Exception):
    """A problem in the layout markup, at `line` of the rendered markup."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class Attr:
    """One declared attribute: how to read it, its default, whether it must be given."""

    kind: Callable[[str], Any] = str
    default: Any = None
    required: bool = False
    doc: str = ""


def length(text: str) -> float:
    value = parse_length(text)
    if value < 0:
        raise ValueError("expected a length of zero or more")
    return value


def positive(kind):
    """A number reader that refuses zero and negative values."""
    def read(text: str):
        value = kind(text)
        if value <= 0:
            raise ValueError("expected a number above zero")
        return value

    read.__name__ = f"positive {kind.__name__}"
    return read


def boolean(text: str) -> bool:
    if text.lower() in ("yes", "true", "1"):
        return True
    if text.lower() in ("no", "false", "0"):
        return False
    raise ValueError('expected "yes" or "no"')


def rich(text: str) -> str:
    """Attribute text that may use the inline Markdown subset; returned as escaped inline markup."""
    from guidebuilder.template import inline_markdown

    return str(inline_markdown(text))


MAX_SHARE = 1000.0  # relative widths past this are typing slips (and 1e308 overflows their sum)


def numbers(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError('expected numbers separated by commas, e.g. "1,1,2"') from None
    if not all(0 < v <= MAX_SHARE for v in values):  # also refuses inf and nan
        raise ValueError(f"expected numbers above zero and at most {MAX_SHARE:g}")
    return values


def choice(*options: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}{did_you_mean(text, options)}")
        return text

    read.__name__ = "|".join(options)
    return read


def register(cls: type["Component"]) -> type["Component"]:
    REGISTRY[cls.tag] = cls
    return cls


class Component:
    tag: ClassVar[str] = ""
    role: ClassVar[str] = "Div"          # the PDF structure role, for tagging
    attributes: ClassVar[dict[str, Attr]] = {}
    children: ClassVar[str | tuple[str, ...]] = "blocks"   # "blocks", "inline", "none" or tags
    min_children: ClassVar[int] = 0
    doc: ClassVar[str] = ""

    def __init__(self, element, kids: list["Component"], inline: str):
        self.line = element.sourceline
        self.attrs = self._read_attributes(element)
        self.kids = kids
        self.inline = inline      # ReportLab paragraph markup of inline content, escaped

    def _read_attributes(self, element) -> dict:
        values = {}
        for name in element.attrib:
            if name not in self.attributes:
                raise MarkupError(self.line, f'<{self.tag}> has no attribute "{name}"'
                                  f"{did_you_mean(name, self.attributes)}"
                                  f" (attributes: {', '.join(self.attributes) or 'none'})")
        for name, attr in self.attributes.items():
            raw = element.get(name)
            if raw is None:
                if attr.required:
                    raise MarkupError(self.line, f'<{self.tag}> needs the attribute "{name}"')
                values[name] = attr.default
                continue
            try:
                values[name] = attr.kind(raw)
            except ValueError as exc:
                raise MarkupError(self.line, f'<{self.tag} {name}="{raw}">: {exc}') from None
        return values

    def __getitem__(self, name: str):
        return self.attrs[name]

    def build(self, ctx) -> list:
        """The flowables of this element (parts such as <cell> are built by their container)."""
        raise MarkupError(self.line, f"<{self.tag}> cannot stand on its own here")

    def colour(self, ctx, role: str) -> str:
        """A colour role from the stylesheet; an unknown role is an error at this element."""
        try:
            return ctx.theme.colour(role)
        except KeyError:
            known = sorted(ctx.theme.sheet.colors) + ["primary", "secondary", "accent"]
            raise MarkupError(self.line, f'<{self.tag}>: unknown colour role "{role}"{did_you_mean(role, known)}'
                                         f' (roles: {", ".join(known)}, or "primary 12%" or "#RRGGBB")') from None

    def build_children(self, ctx) -> list:
        flowables = []
        for i, kid in enumerate(self.kids):
            if getattr(kid, "fills_remaining", False):
                # Space-filling elements (notes lines) need to know what comes after them;
                # they build it (build_after) once their own content is built, in reading order.
                after = []

                def build_after(later=self.kids[i + 1:]):
                    for component in later:
                        with ctx.building(component):
                            after.extend(component.build(ctx))
                    return after

                with ctx.building(kid):
                    return flowables + kid.build_filling(ctx, build_after) + after
            with ctx.building(kid):
                flowables.extend(kid.build(ctx))
        return flowables
