"""Stage 2, template: a Jinja2 layout + guide + school -> layout markup (XML, see docs/layouts.md).

Templates run in Jinja2's sandbox with autoescaping, so content text can never inject
markup; undefined names are errors that name the layout file and line.
"""

from __future__ import annotations

import math
import re
import traceback
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup

from guidebuilder.errors import InputError, display_path

# Each try at a match scans no further than the next delimiter of its kind (a label holds no
# bracket, a URL no bracket or space), so the whole text is read in linear time: "[" typed
# 40,000 times once took 18 s.
_INLINE = re.compile(
    r"\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|\[(?P<label>[^\[\]]+)\]\((?P<url>https?://[^\s)\[\]]+)\)"
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
    kind = f"jinja{jinja2.__version__}-sandbox-autoescape-bounded-checked-joins"
    where = folder(kind)
    return None if where is None else CheckedBytecodeCache(where, kind)


# Hostile layouts cost bounded time and memory: a render may take this many loop steps and
# calls, write this much markup, and compute numbers and strings up to these sizes. Each is far
# above what a real layout does (the built-in handout: about 160 loop steps and calls, 14,000 characters).
MAX_STEPS = 1_000_000          # loop steps
MAX_CALLS = 100_000            # calls of macros, functions and methods (each costs far more)
MAX_MARKUP = 1_000_000          # characters of markup from one render
MAX_DIGITS = 4_000              # of an integer a layout computes (Python prints at most 4,300)
_MAX_BITS = int(MAX_DIGITS * math.log2(10))
MAX_WIDTH = 10_000              # a padding width, or a count given to center, slice, lipsum...
_PADDING_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}
_WIDE_BRACES = re.compile(r"\{[^{}]*:[^{}]*?(?:\d{5,}|\{)")
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:\*|\d{5,})|%[-#0 +]*\d*\.(?:\*|\d{5,})")


def _size(value, limit: int = MAX_MARKUP) -> int:
    """About how many characters or items `value` holds, nested values included (a list of a
    long string repeated prints as all of its copies), counted only until past `limit`, so the
    count itself costs bounded time and never builds the value's text."""
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 1
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset, range)):
            if isinstance(item, range) or len(item) > limit:
                total += len(item)
            else:
                pending.extend(item)
        else:
            total += 1
    return total


def _short(value, grouped: bool = False) -> str:
    """A number or text for an error message: long ones abbreviated (not 4,000 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 130:
        return f"a number of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
    if isinstance(value, (int, float)):
        text = f"{value:,}" if grouped else str(value)
    else:
        text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text):,} characters)"


def _refuse_huge(what: str, size: int) -> None:
    from jinja2.exceptions import SecurityError

    if size > MAX_MARKUP:
        raise SecurityError(f"{what} would build a huge value (over {MAX_MARKUP:,} characters or items); "
                            f"look for a value that keeps doubling or a long text repeated")


def _replaced_size(text, old, new, count=None) -> int:
    """The length of text.replace(old, new, count), without building it."""
    text, old, new = str(text), str(old), str(new)
    found = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


def _formatted_size(template: str, values) -> int:
    """At most the length of a %-format or str.format result: each placeholder (counted by its
    "%" or "{") may print the longest value."""
    if isinstance(values, dict):
        values = list(values.values())
    elif not isinstance(values, (tuple, list)):
        values = [values]
    longest = max((_size(v) for v in values), default=0)
    return len(template) + (template.count("%") + template.count("{")) * longest


def _bounded_join(join):
    """Jinja's concat, markup_join and str_join (what `~`, macros and {% set %} blocks build
    their text with), refusing a result over MAX_MARKUP before building it."""
    def bounded(parts):
        parts, size = list(parts), 0
        for part in parts:
            size += len(part) if isinstance(part, str) else _size(part)
            _refuse_huge("joining these texts", size)
        return join(parts)

    return bounded


class _Budget:
    """What one render has used of MAX_STEPS and MAX_CALLS."""

    def __init__(self):
        self.steps = self.calls = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            _too_long(f"over {MAX_STEPS:,} loop steps in one document; look for loops inside loops")

    def call(self) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            _too_long(f"over {MAX_CALLS:,} calls in one document; look for a macro that calls itself")


def _too_long(why: str):
    from jinja2.exceptions import TemplateRuntimeError

    raise TemplateRuntimeError(f"the layout takes too long: {why}")


_BUDGET: ContextVar = ContextVar("template_budget", default=None)


@contextmanager
def _bounded():
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    return _Budget() if budget is None else budget  # outside render_markup (a tool): each loop bounded


def _counted(iterable):
    """What every {% for %} iterates over (see BoundedSandbox._parse): the items, counted."""
    budget = _budget()
    for item in iterable:
        budget.step()
        yield item


def _bounded_sandbox_class():
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedCodeGenerator(CodeGenerator):
        """Compiled templates join `~` operands with the runtime's markup_join and str_join,
        imported once at the top of the module: they are bound to bounded versions right after
        that import (macro output and {% set %} blocks use environment.concat, bounded below)."""

        def writeline(self, x, node=None, extra=0):
            super().writeline(x, node, extra)
            if x.startswith("from jinja2.runtime import "):
                super().writeline("markup_join, str_join = environment.bounded_joins(markup_join, str_join)")

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        """Jinja's sandbox keeps a layout from reaching Python; this also keeps it from running
        without end: loops and calls are counted, and powers, repetitions, format widths and
        padding that would build huge values are refused before they run (Jinja would even fold
        a constant 9**(9**9) while compiling)."""

        intercepted_binops = frozenset({"**", "*", "%", "+"})
        code_generator_class = BoundedCodeGenerator
        concat = staticmethod(_bounded_join("".join))

        @staticmethod
        def bounded_joins(*joins):
            return tuple(_bounded_join(join) for join in joins)

        def _parse(self, source, name, filename):
            tree = super()._parse(source, name, filename)
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.iter.lineno)
                loop.iter.set_environment(self)
            return tree

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: B902 - Jinja's own signature
            _budget().call()
            padding = isinstance(getattr(__obj, "__self__", None), str) and __obj.__name__ in _PADDING_METHODS
            if padding or __obj is __self.globals.get("lipsum"):
                _check_sizes(__obj.__name__, args, kwargs)  # "x".ljust(10**9), lipsum(10**9)
            elif isinstance(getattr(__obj, "__self__", None), str):
                _check_str_method(__obj.__self__, __obj.__name__, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value):
            wrapped = super().wrap_str_format(value)  # "...".format, as the sandbox sees it
            if wrapped is not None and _WIDE_BRACES.search(value.__self__):
                raise SecurityError(f'the format "{value.__self__[:40]}" pads to a huge width; use a width under '
                                    f"{MAX_WIDTH:,}")
            if wrapped is None:
                return None
            template, name = value.__self__, value.__name__

            def bounded_format(*args, **kwargs):  # ("{0}" * 100000).format("x" * 999999)
                values = [*args, *kwargs.values()]
                if name == "format_map" and len(args) == 1 and isinstance(args[0], dict):
                    values = list(args[0].values())
                _refuse_huge(f".{name}", _formatted_size(template, values))
                return wrapped(*args, **kwargs)

            return bounded_format

        def call_binop(self, context, operator, left, right):
            if operator == "**":
                _check_power(left, right)
            elif operator == "*":
                _check_product(left, right)
            elif operator == "%" and isinstance(left, str):
                if _WIDE_FORMAT.search(left):
                    raise SecurityError(f'the format "{left[:40]}" pads to a huge width; use a width under '
                                        f"{MAX_WIDTH:,}")
                _refuse_huge("this % format", _formatted_size(left, right))
            elif operator == "+" and not isinstance(left, (int, float)) and not isinstance(right, (int, float)):
                _refuse_huge("this +", _size(left) + _size(right))  # a text or list that keeps doubling
            return super().call_binop(context, operator, left, right)

    def _check_str_method(text, name, args, kwargs):
        if name == "replace" and len(args) >= 2:
            _refuse_huge(".replace", _replaced_size(text, *args[:3]))
        elif name == "join" and args:
            items = args[0] if isinstance(args[0], (list, tuple, str)) else None
            if items is not None:
                _refuse_huge(".join", len(text) * len(items) + _size(items))

    def _check_sizes(name, args, kwargs):
        if any(isinstance(a, int) and a >= MAX_WIDTH for a in (*args, *kwargs.values())):
            raise SecurityError(f"{name} with a number of {MAX_WIDTH:,} or more would build a huge value")

    def _check_power(base, exponent):
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            if exponent * math.log10(abs(base)) >= MAX_DIGITS:
                raise SecurityError(f"{_short(base)} ** {_short(exponent)} would have over {MAX_DIGITS:,} digits")

    def _check_product(left, right):
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > _MAX_BITS:
                raise SecurityError(f"the product would have over {MAX_DIGITS:,} digits")
            return
        count, sequence = (right, left) if isinstance(right, int) else (left, right)
        if isinstance(count, int) and hasattr(sequence, "__len__"):
            size = (len(sequence) if isinstance(sequence, str) else _size(sequence)) * count
            if size > MAX_MARKUP:
                raise SecurityError(f"repeated {_short(count, True)} times, it would be {_short(size, True)} characters or "
                                    f"items long, over the {MAX_MARKUP:,} limit")

    return BoundedSandbox


@lru_cache(maxsize=8)
def environment(search_path: tuple[Path, ...]):
    from jinja2 import FileSystemLoader, StrictUndefined, pass_context

    env = _bounded_sandbox_class()(
        loader=FileSystemLoader([str(p) for p in search_path]),
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, auto_reload=True, bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(md=inline_markdown, long_date=long_date, url_text=url_text)
    # pass_context: never folded while compiling (a constant list would be iterated there)
    env.filters["_counted"] = pass_context(lambda context, iterable: _counted(iterable))
    _guard_filters(env)
    return env


def _guard_filters(env) -> None:
    """Jinja's filters that build a value as big as a number they are given refuse huge numbers
    ("x"|center(10**9) took all memory; [1]|slice(10**9) ran for ever)."""
    from functools import wraps

    from jinja2.exceptions import SecurityError

    def guarded(name):
        original = env.filters[name]

        @wraps(original)  # keeps Jinja's pass_* marks
        def filter_(*args, **kwargs):
            numbers = [a for a in (*args[1:], *kwargs.values()) if isinstance(a, int) and not isinstance(a, bool)]
            if any(n >= MAX_WIDTH for n in numbers):
                raise SecurityError(f"|{name} with a number of {MAX_WIDTH:,} or more would build a huge value")
            if name == "format" and isinstance(args[0], str) and _WIDE_FORMAT.search(args[0]):
                raise SecurityError(f'the format "{args[0][:40]}" pads to a huge width; use a width under '
                                    f"{MAX_WIDTH:,}")
            return original(*args, **kwargs)

        env.filters[name] = filter_

    for name in ("center", "indent", "slice", "format", "batch"):
        guarded(name)
    _guard_growing_filters(env)


def _guard_growing_filters(env) -> None:
    """Jinja's filters whose result can be far longer than their input refuse a result over
    MAX_MARKUP before building it: ("x"*999999)|replace("x", "x"*999999) took all memory."""
    import inspect
    from functools import wraps

    def size_of_replace(a):
        return _replaced_size(a["s"], a["old"], a["new"], a.get("count"))

    def size_of_join(a):
        items = a["value"]
        return len(str(a.get("d", ""))) * len(items) + _size(items)

    def size_of_sum(a):
        start = a.get("start", 0)
        return 0 if isinstance(start, (int, float)) else _size(start) + _size(a["iterable"])

    def size_of_indent(a):
        width, text = a.get("width", 4), str(a["s"])
        return len(text) + (len(width) * (text.count("\n") + 1) if isinstance(width, str) else 0)

    def size_of_wordwrap(a):
        text = str(a["s"])
        return len(text) + len(str(a.get("wrapstring") or "")) * len(text)

    def size_of_format(a):
        return _formatted_size(str(a["value"]), [*a.get("args", ()), *a.get("kwargs", {}).values()])

    def bounded(name, size_of, listed=None):
        original = env.filters[name]
        signature = inspect.signature(original)

        @wraps(original)  # keeps Jinja's pass_* marks
        def filter_(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            named = bound.arguments
            if listed is not None and listed in named and not isinstance(named[listed], (str, list, tuple)):
                named[listed] = list(named[listed])  # an iterator is read once: here, and handed on as a list
            _refuse_huge(f"|{name}", size_of(named))
            return original(*bound.args, **bound.kwargs)

        env.filters[name] = filter_

    bounded("replace", size_of_replace)
    bounded("join", size_of_join, listed="value")
    bounded("sum", size_of_sum, listed="iterable")
    bounded("indent", size_of_indent)
    bounded("wordwrap", size_of_wordwrap)
    bounded("format", size_of_format)


def render_markup(layout_file: Path, search_path: tuple[Path, ...], **context) -> str:
    env = environment(tuple(search_path))
    name = display_path(layout_file)
    from jinja2 import TemplateError, TemplateSyntaxError
    from jinja2.exceptions import SecurityError

    try:
        with _bounded():
            template = env.get_template(Path(layout_file).name)
            return _render_bounded(template, context, name)
    except TemplateSyntaxError as exc:
        raise InputError.at(name, exc.lineno, "", f"template syntax error: {exc.message}") from None
    except SecurityError as exc:
        line = _template_line(exc, layout_file)
        raise InputError.at(name, line, "", f"not allowed in a layout: {exc}") from None
    except TemplateError as exc:
        line = _template_line(exc, layout_file)
        raise InputError.at(name, line, "", f"template error: {exc.message}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        line = _template_line(exc, layout_file)
        raise InputError.at(name, line, "", f"template error: {exc.__class__.__name__}: {exc}") from None


def _render_bounded(template, context: dict, name: str) -> str:
    """template.render(**context), stopped once the markup passes MAX_MARKUP characters."""
    pieces, size = [], 0
    try:
        stream = template.root_render_func(template.new_context(context))
        for piece in stream:
            size += len(piece)
            if size > MAX_MARKUP:
                frame = stream.gi_frame
                line = template.get_corresponding_lineno(frame.f_lineno) if frame is not None else None
                raise InputError.at(name, line, "", f"the layout writes over {MAX_MARKUP:,} characters of "
                                                          f"markup (stopped here); look for loops that repeat "
                                                          f"too much")
            pieces.append(piece)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - as Template.render: the traceback is given the template's lines
        template.environment.handle_exception()
    return "".join(pieces)


def markup_line_origin(layout_file: Path, search_path: tuple[Path, ...], markup_line: int, **context) -> int | None:
    """The line of `layout_file` that wrote line `markup_line` of its markup (for error messages:
    a designer edits the template, not its output). The template is rendered again, noting the
    template line behind each piece of output; output written by a macro or an included file
    maps to the line that calls it. None when it cannot be told."""
    from markupsafe import Markup

    try:
        with _bounded():
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
