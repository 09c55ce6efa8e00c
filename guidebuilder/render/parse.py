"""Stage 3, render: layout markup -> a tree of components -> ReportLab flowables.

The markup is XML produced by a layout template (see docs/layouts.md). Each element is
read by the component class registered for its tag; inline content (text with <b>, <i>,
<a href>, <br/>) becomes escaped ReportLab paragraph markup.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from guidebuilder.render.markup import escape, quoteattr

from guidebuilder.render.components import REGISTRY, MarkupError
from guidebuilder.errors import InputError, did_you_mean, display_path
from guidebuilder.render.settings import BuildState, DocumentSettings

if TYPE_CHECKING:
    from guidebuilder.load.models import School
    from guidebuilder.pdf.geometry import Geometry, PrintOptions
    from guidebuilder.render.assets import AssetCache
    from guidebuilder.render.components.base import Component
    from guidebuilder.render.theme import Theme

INLINE_TAGS = {"b", "i", "a", "br"}
TOP_LEVEL_ONLY = {"columns", "fold-panel"}  # they set the page's frames
# What designers who know HTML (or ReportLab's RML) reach for, and our element for it.
HTML_NAMES = {"para": "p", "div": "panel", "span": "p", "ul": "list", "ol": "list", "li": "item", "h1": "title",
              "h2": "heading", "h3": "heading", "img": "image", "strong": "b", "em": "i", "hr": "rule", "tr": "row",
              "td": "cell", "th": "cell", "blockTable": "table", "spacer": "spacer"}


# Limits on what one document's markup may hold, far above any real layout's (the built-in
# handout: about 210 elements, no paragraph over 1,000 characters), so that hostile markup
# fails fast instead of taking minutes to lay out (line breaking grows with the square of a
# paragraph's length).
MAX_ELEMENTS = 20_000
MIN_WIDTH = 36.0            # points: the narrowest a column, cell or box may leave its text (0.5 in)
MAX_INLINE_TEXT = 40_000    # characters of one element's text: two of the longest guide texts

_READS: ContextVar = ContextVar("files_read", default=None)


@contextmanager
def recording_reads():
    """Collect the files a layout reads beyond the school's own (its <image> sources), as
    {path: digest}, so a batch can rebuild a document when one of them changes."""
    reads = {}
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


@dataclass
class RenderContext:
    """What components need while building: the theme, the school and per-process caches."""

    theme: Theme
    school: School
    school_file: Path | None
    page_width: float
    page_height: float
    assets: AssetCache
    geometry: Geometry | None = None            # trim, bleed, marks (always given for a build)
    options: PrintOptions | None = None
    document: DocumentSettings = field(default_factory=DocumentSettings)   # set by <document>
    state: BuildState = field(default_factory=BuildState)
    span: tuple[float, float] | None = None     # the brochure panel being built: its left and right edges
    _widths: list[float] = field(default_factory=list)
    _fills: list[str] = field(default_factory=list)
    _building: list[Component] = field(default_factory=list)   # the elements being built, innermost last

    @property
    def frame_width(self) -> float:
        return self.page_width - 2 * self.theme.page("margin")

    @property
    def available_width(self) -> float:
        return self._widths[-1] if self._widths else self.frame_width

    @property
    def background(self) -> str:
        return self._fills[-1] if self._fills else "#FFFFFF"

    @contextmanager
    def building(self, component):
        """`component` is being built: a width it leaves too narrow is an error at its line."""
        self._building.append(component)
        try:
            yield
        finally:
            self._building.pop()

    @contextmanager
    def width(self, width: float):
        """Children built inside are laid out `width` wide (a column, a cell)."""
        self.check_width(width)
        self._widths.append(width)
        try:
            yield
        finally:
            self._widths.pop()

    def check_width(self, width: float) -> None:
        """Text can be set `width` wide; else an error at the element being built (boxes nested
        deep or a narrow <col> leave no room at all)."""
        if width >= MIN_WIDTH:
            return
        from guidebuilder.render.components import MarkupError

        element = self._building[-1] if self._building else None
        name = f"<{element.tag}>" if element is not None else "an element"
        raise MarkupError(element.line if element is not None else None,
                          f"{name} is too narrow here: what it holds would be {max(width, 0) / 72:.2f} in wide, under the "
                          f"{MIN_WIDTH / 72:.1f} in minimum; give it more room (a larger span, fewer boxes "
                          f"inside boxes)")

    def narrower(self, by: float):
        return self.width(self.available_width - by)

    @contextmanager
    def on_fill(self, fill: str):
        """Children built inside sit on `fill`, so their text colours are chosen for it."""
        self._fills.append(fill)
        try:
            yield
        finally:
            self._fills.pop()

    def ink(self, role: str, large: bool = False) -> str:
        """The text colour for `role` on the current background, readable by WCAG AA."""
        theme = self.theme
        wanted = {"text": theme.text, "muted": theme.muted}.get(role) or theme.colour(role)
        return theme.readable(wanted, self.background, large)

    def read(self, relative: str) -> Path:
        """A file in the school's folder that the layout itself asks for (see recording_reads)."""
        path = self.asset(relative)
        reads = _READS.get()
        if reads is not None and str(path) not in reads:
            from guidebuilder.batch.manifest import file_digest

            reads[str(path)] = file_digest(path)  # before it is read: a change while building means a rebuild
        return path

    def asset(self, relative: str) -> Path:
        """A file in the school's folder; paths that leave it are refused."""
        from guidebuilder.render.assets import Outside, Refused, resolve_inside

        try:
            return resolve_inside(Path(self.school_file).resolve().parent, relative)
        except Outside:
            raise InputError.at(display_path(self.school_file), None, "", f'"{relative}" is outside the school\'s folder') from None
        except Refused as exc:  # a loop of symbolic links, a NUL in the name
            raise InputError.at(display_path(self.school_file), None, "", f'"{relative}" {exc}') from None


def parse_markup(markup: str):
    """Markup text -> the root Component; a MarkupError gives the markup line of a problem."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(markup.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        reason = " ".join(str(exc.msg).split()).replace(" ,", ",")  # lxml may break its message in two
        raise MarkupError(exc.lineno, f"the layout produced invalid markup: {reason}") from None
    if root.getroottree().docinfo.doctype or any(isinstance(n, etree._Entity) for n in root.iter()):
        raise MarkupError(1, "the markup may not declare a DOCTYPE or use entities other than "
                             "&amp; &lt; &gt; &quot; &apos;")
    if root.tag != "document":
        raise MarkupError(root.sourceline, f"the markup must start with <document>, not <{root.tag}>")
    _check_size(root)
    return _component(root)


def _check_size(root) -> None:
    """The markup is within MAX_ELEMENTS elements (checked before any is read)."""
    for count, element in enumerate(root.iter(), 1):
        if count > MAX_ELEMENTS:
            raise MarkupError(element.sourceline, f"the layout writes over {MAX_ELEMENTS:,} elements (stopped at "
                                                  f"this <{element.tag}>); a document holds at most {MAX_ELEMENTS:,}")


@lru_cache(maxsize=None)
def _parents_of(tag: str) -> tuple[str, ...]:
    """The elements that hold `tag` as a part (a <cell> lives in a <row>); empty for blocks."""
    return tuple(sorted(t for t, cls in REGISTRY.items() if isinstance(cls.children, tuple) and tag in cls.children))


def _component(element, parent: str | None = None):
    tag = element.tag
    if not isinstance(tag, str):
        raise MarkupError(element.sourceline, "unexpected node in markup")
    cls = REGISTRY.get(tag)
    if cls is None:
        hint = f', did you mean "{HTML_NAMES[tag]}"?' if tag in HTML_NAMES else did_you_mean(tag, REGISTRY)
        raise MarkupError(element.sourceline, f"unknown element <{tag}>{hint}")
    if tag in TOP_LEVEL_ONLY and parent != "document":
        raise MarkupError(element.sourceline, f"<{tag}> belongs directly in <document>")
    parents = _parents_of(tag)
    if parents and parent not in parents:
        raise MarkupError(element.sourceline, f"<{tag}> belongs inside {' or '.join(f'<{p}>' for p in parents)}")
    if cls.children == "inline":
        length = sum(len(text) for text in element.itertext())
        if length > MAX_INLINE_TEXT:
            raise MarkupError(element.sourceline, f"<{tag}> holds {length:,} characters of text, over the "
                                                  f"{MAX_INLINE_TEXT:,} limit for one element; split it")
        return cls(element, [], inline_markup(element))
    if cls.children == "none":
        if len(element) or (element.text or "").strip():
            raise MarkupError(element.sourceline, f"<{tag}> takes no content")
        return cls(element, [], "")
    kids = []
    for child in element:
        if isinstance(cls.children, tuple) and child.tag not in cls.children:
            raise MarkupError(child.sourceline, f"<{tag}> may hold only {', '.join('<%s>' % c for c in cls.children)},"
                                                f" not <{child.tag}>")
        kids.append(_component(child, tag))
    if len(kids) < cls.min_children:
        raise MarkupError(element.sourceline, f"<{tag}> needs at least {cls.min_children} child element(s)")
    stray = (element.text or "").strip() or next((c.tail.strip() for c in element if (c.tail or "").strip()), "")
    if stray:
        raise MarkupError(element.sourceline, f"<{tag}> holds elements, not text (found \"{stray[:30]}\");"
                                              f" wrap text in <p>")
    return cls(element, kids, "")


def inline_markup(element) -> str:
    """Inline content of `element` as ReportLab paragraph markup (text escaped)."""
    parts = [escape(_squash(element.text))]
    for child in element:
        if child.tag not in INLINE_TAGS:
            raise MarkupError(child.sourceline, f"<{element.tag}> holds text; <{child.tag}> is not an inline "
                                                f"element (inline: <b>, <i>, <a href>, <br/>)")
        inner = inline_markup(child)
        if child.tag == "br":
            parts.append("<br/>")
        elif child.tag == "a":
            href = child.get("href", "")
            if not href.startswith(("https://", "http://", "mailto:")):
                raise MarkupError(child.sourceline, f'<a href="{href}">: links must start with https://, http:// or mailto:')
            parts.append(f"<a href={quoteattr(href)}>{inner}</a>")
        else:
            parts.append(f"<{child.tag}>{inner}</{child.tag}>")
        parts.append(escape(_squash(child.tail)))
    return "".join(parts).strip()


def _squash(text: str | None) -> str:
    """XML whitespace folded the way HTML folds it."""
    if not text:
        return ""
    import re

    return re.sub(r"\s+", " ", text)

