"""Stage 2, template: a Jinja2 layout + guide + school -> layout markup (XML, see docs/layouts.md).

Templates run in Jinja2's sandbox with autoescaping, so content text can never inject
markup; undefined names are errors that name the layout file and line.
"""

from __future__ import annotations

import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup

from guidebuilder.errors import InputError, Problem, display_path

_INLINE = re.compile(
    r"\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>https?://[^\s)]+)\)"
)


def inline_markdown(text) -> "Markup":
    """The inline subset of the formats spec: **strong**, *emphasis*, [label](https://url).

    Everything else is literal: the text is escaped, then only these three become markup.
    """
    if text is None:
        from markupsafe import Markup

        return Markup("")
    return _inline_markdown(str(text))


@lru_cache(maxsize=4096)  # the guide's texts, again for every school and layout
def _inline_markdown(text: str) -> "Markup":
    from markupsafe import Markup, escape

    out, pos = [], 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[pos:match.start()]))
        if match.group("strong") is not None:
            out.append(Markup("<b>%s</b>") % inline_markdown(match.group("strong")))
        elif match.group("em") is not None:
            out.append(Markup("<i>%s</i>") % inline_markdown(match.group("em")))
        else:
            out.append(Markup('<a href="%s">%s</a>') % (match.group("url"), inline_markdown(match.group("label"))))
        pos = match.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def long_date(value) -> str:
    """2027-03-14 -> 'March 14, 2027' (no locale dependency, so builds are reproducible)."""
    if value is None:
        return ""
    if isinstance(value, str):  # a partial date such as a source's "2025-08" prints as written
        return value
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    return f"{months[value.month - 1]}\u00a0{value.day},\u00a0{value.year}"  # never broken across lines


def url_text(url) -> str:
    """A URL as people read and type it: no scheme, no trailing slash, and no query string or
    fragment (tracking parameters stay in the link and the QR code, not in the printed text)."""
    text = re.sub(r"^https?://", "", str(url or ""))
    return re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/")


def _bytecode_cache():
    """Compiled templates kept between runs (keyed by source), so a one-off build skips the
    compile; None where no cache folder can be written."""
    import jinja2
    from jinja2 import BytecodeCache

    from guidebuilder.diskcache import folder, read_entry, write_entry

    class CheckedBytecodeCache(BytecodeCache):
        """Jinja's FileSystemBytecodeCache hands whatever the file holds to marshal (a damaged
        entry crashed Python) and lets a failed write fail the build: here each entry carries
        the diskcache checksum and versions, one that does not verify is compiled again, and a
        write that fails (disk full) only means no caching."""

        def __init__(self, where: Path, kind: str):
            self.where, self.kind = where, kind

        def load_bytecode(self, bucket) -> None:
            payload = read_entry(self.where / bucket.key, self.kind)
            if payload is None:
                return
            try:
                bucket.bytecode_from_string(payload)  # as written by dump_bytecode: verified
            except Exception:  # noqa: BLE001 - compile it again
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                payload = bucket.bytecode_to_string()
            except Exception:  # noqa: BLE001 - nothing to keep
                return
            write_entry(self.where / bucket.key, self.kind, payload)

    # Compiled code depends on the environment's options and versions: a new one starts afresh.
    kind = f"jinja{jinja2.__version__}-sandbox-autoescape-checked"
    where = folder(kind)
    return None if where is None else CheckedBytecodeCache(where, kind)


@lru_cache(maxsize=8)
def environment(search_path: tuple[Path, ...]):
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader([str(p) for p in search_path]),
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, auto_reload=True, bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(md=inline_markdown, long_date=long_date, url_text=url_text)
    return env


def render_markup(layout_file: Path, search_path: tuple[Path, ...], **context) -> str:
    env = environment(tuple(search_path))
    name = display_path(layout_file)
    from jinja2 import TemplateError, TemplateSyntaxError
    from jinja2.exceptions import SecurityError

    try:
        template = env.get_template(Path(layout_file).name)
        return template.render(**context)
    except TemplateSyntaxError as exc:
        raise InputError([Problem(name, exc.lineno, "", f"template syntax error: {exc.message}")]) from None
    except SecurityError as exc:
        line = _template_line(exc, layout_file)
        raise InputError([Problem(name, line, "", f"not allowed in a layout: {exc}")]) from None
    except TemplateError as exc:
        line = _template_line(exc, layout_file)
        raise InputError([Problem(name, line, "", f"template error: {exc.message}")]) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        line = _template_line(exc, layout_file)
        raise InputError([Problem(name, line, "", f"template error: {exc.__class__.__name__}: {exc}")]) from None


def markup_line_origin(layout_file: Path, search_path: tuple[Path, ...], markup_line: int, **context) -> int | None:
    """The line of `layout_file` that wrote line `markup_line` of its markup (for error messages:
    a designer edits the template, not its output). The template is rendered again, noting the
    template line behind each piece of output; output written by a macro or an included file
    maps to the line that calls it. None when it cannot be told."""
    from markupsafe import Markup

    try:
        template = environment(tuple(search_path)).get_template(Path(layout_file).name)
        source = Path(template.filename).read_text(encoding="utf-8").splitlines()
        pieces = template.root_render_func(template.new_context(context))
        line = 1
        for piece in pieces:
            newlines = piece.count("\n")
            # the piece holds the start of the line (not just the line break before it)
            if line + newlines > markup_line or (line + newlines == markup_line and not piece.endswith("\n")):
                start = template.get_corresponding_lineno(pieces.gi_frame.f_lineno)
                if isinstance(piece, Markup) or pieces.gi_yieldfrom is not None:
                    return start  # a printed value, a macro's output or an included file: the line that prints it
                first = piece.split("\n", 1)[0]
                if first.strip() and start < len(source) and first not in source[start - 1] and first in source[start]:
                    start += 1  # text after a block tag whose line break was trimmed starts a line later
                return start + (markup_line - line)  # the template's own text: its lines are the output's
            line += newlines
    except Exception:  # noqa: BLE001 - only an error message is at stake: fall back to the markup line
        return None
    return None


def _template_line(exc: BaseException, layout_file: Path) -> int | None:
    """Jinja rewrites tracebacks so template frames carry the template's file and line."""
    target = str(Path(layout_file).resolve())
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return line
