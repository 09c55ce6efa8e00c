"""Safe YAML loading that remembers the line of every key and reports duplicate keys.

PyYAML keeps the last of two equal keys silently; a user who wrote a key twice has a bug,
so we compose the node tree ourselves and turn it into plain data, recording where each
key path starts.

Values are read as the text typed: YAML 1.1 (and 1.2) would turn `17.80` into 17.8, a phone
`0201234567` into 33896823 and `1:30` into 90. Only `null`, `~` and nothing are read as no
value, and keys are always text (`yes:` is the key "yes"); the models convert text to the
dates and choices they declare. Every text is NFC-normalised and checked for characters that
would not print as typed (guidebuilder.load.unicodetext).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from guidebuilder.errors import InputError, Problem, display_path

MAX_YAML_BYTES = 2_000_000
# Count limits, about 100 times the biggest real file (content/medical-coder.yaml: 276 values,
# 504 parser events, no list over 9 items), so no real guide comes near them while a file that
# expands its aliases cannot make the models and the renderer build more than the memory limit
# holds (191,000 checklist items from 7.7 kB of aliases ran a 2 GB build out of memory).
MAX_NODES = 30_000       # values after aliases are expanded: stops "billion laughs" files
MAX_EVENTS = 50_000      # keys, values and brackets as written, counted before anything is built
MAX_LIST_ITEMS = 1_000   # items of one list
MAX_DEPTH = 60           # no guide or school nests deeper than a handful of levels

KeyPath = tuple  # of str and int


@dataclass
class YamlSource:
    """Plain data loaded from one file, with the line where each key path starts."""

    path: Path
    data: object
    lines: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line_of(self, keypath: KeyPath) -> int | None:
        """The line of `keypath`, or of its nearest ancestor that has one."""
        keypath = tuple(keypath)
        while keypath not in self.lines and keypath:
            keypath = keypath[:-1]
        return self.lines.get(keypath)


def _safe_loader_class():
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextLoader(_safe_loader_class()):
    """The safe loader with one implicit type left: null. An unquoted 0755 stays "0755"."""

    yaml_implicit_resolvers: dict = {}  # its own table: add_implicit_resolver would copy the parent's


_TextLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"),
                                  ["~", "n", "N", ""])


def _loader_class():
    return _TextLoader


def read_limited(path: Path, limit: int, name: str) -> bytes:
    """The bytes of a regular file no larger than `limit` (a FIFO or /dev/zero is refused unread)."""
    import stat

    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            raise InputError.at(name, None, "", "is not a regular file")
        if info.st_size > limit:
            raise InputError.at(name, None, "", f"file is {info.st_size:,} bytes, over the {limit:,} byte limit")
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError.at(name, None, "", "file not found") from None
    except IsADirectoryError:
        raise InputError.at(name, None, "", "is a folder, expected a YAML file") from None
    except OSError as exc:
        raise InputError.at(name, None, "", f"cannot be read ({exc.strerror})") from None


def load_yaml(path: Path) -> YamlSource:
    path = Path(path)
    name = display_path(path)
    raw = read_limited(path, MAX_YAML_BYTES, name)
    if len(raw) > MAX_YAML_BYTES:
        raise InputError.at(name, None, "", f"file is over the {MAX_YAML_BYTES:,} byte limit")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError.at(name, line, "", "is not UTF-8 text (save the file as UTF-8)") from None
    return parse_yaml(text, path)


def _prescan(text: str) -> None:
    """Walk the parser's events (flat, no recursion) before composing: the composer recurses
    once per nesting level and merge keys expand before anything else could count them."""
    events = 0
    open_lists: list[list[int] | None] = []  # per open collection: [items] for a list, None for a mapping
    loader = _loader_class()(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.NodeEvent) and open_lists and open_lists[-1] is not None:
                _count_item(open_lists[-1], event)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                open_lists.append([0] if isinstance(event, yaml.SequenceStartEvent) else None)
                if len(open_lists) > MAX_DEPTH:
                    raise _TooBig(event.start_mark.line + 1, f"values are nested too deeply (at most {MAX_DEPTH} levels)")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                open_lists.pop()
            elif isinstance(event, yaml.ScalarEvent) and event.value == "<<" and not event.style:
                raise _TooBig(event.start_mark.line + 1, "merge keys (<<) are not supported; write the keys out")
            events += 1
            if events > MAX_EVENTS:
                raise _TooBig(event.start_mark.line + 1, f"the file holds more than {MAX_EVENTS:,} keys and values; "
                                                         f"split it or shorten it")
    finally:
        loader.dispose()


def _count_item(items: list[int], event) -> None:
    items[0] += 1
    if items[0] > MAX_LIST_ITEMS:
        raise _TooBig(event.start_mark.line + 1, f"a list holds more than {MAX_LIST_ITEMS:,} items; "
                                                 f"no guide or school needs that many")


def parse_yaml(text: str, path: Path) -> YamlSource:
    name = display_path(path)
    loader = _loader_class()(text)
    try:
        _prescan(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError.at(name, 1, "", "the file is empty (expected a mapping of keys)")
        source = YamlSource(path, None)
        problems: list[Problem] = []
        source.data = _to_data(loader, node, (), source, problems, [0])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        bad_line = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        if "\t" in bad_line[: len(bad_line) - len(bad_line.lstrip())] or "tab" in what:
            what = "tabs are not allowed for indentation; indent with spaces"
        raise InputError.at(name, line, "", f"YAML syntax error: {what}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        kind = ("a noncharacter" if (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF else
                "half of a surrogate pair" if 0xD800 <= code <= 0xDFFF else "a control character")
        raise InputError.at(name, line, "", f"contains {kind} (U+{code:04X}) that "
                                                  f"YAML does not allow; remove it") from None
    except yaml.YAMLError as exc:
        raise InputError.at(name, None, "", f"YAML error: {' '.join(str(exc).split())}") from None
    except _TooBig as exc:
        raise InputError.at(name, exc.line, "", str(exc)) from None
    except RecursionError:
        raise InputError.at(name, None, "", f"values are nested too deeply (at most {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()
    if problems:
        raise InputError(problems)
    return source


class _TooBig(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def _to_data(loader, node, keypath, source: YamlSource, problems: list[Problem], count: list[int]):
    count[0] += 1
    if count[0] > MAX_NODES:
        raise _TooBig(node.start_mark.line + 1, f"the file holds more than {MAX_NODES:,} values once its "
                                                 f"aliases (*name) are expanded; write the values out instead")
    if len(keypath) > MAX_DEPTH:
        raise _TooBig(node.start_mark.line + 1, f"values are nested too deeply (at most {MAX_DEPTH} levels)")
    source.lines.setdefault(keypath, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        # No flatten_mapping: merge keys (<<) are refused by the prescan, and a key is only ever text.
        result = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(source.name, key_node.start_mark.line + 1, dotted(keypath),
                                        "a key must be a plain word"))
                continue
            key = unicodedata.normalize("NFC", key_node.value)  # as typed: `yes:` and `2026-13-45:` are words
            if key in result:
                problems.append(Problem(
                    source.name, key_node.start_mark.line + 1, dotted(keypath + (key,)),
                    f"duplicate key (first set on line {source.lines[keypath + (key,)]}); remove one of them"))
                continue
            source.lines[keypath + (key,)] = key_node.start_mark.line + 1
            result[key] = _to_data(loader, value_node, keypath + (key,), source, problems, count)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(loader, item, keypath + (i,), source, problems, count) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:  # an explicit tag that does not fit, e.g. !!int abc; the model reports it
        value = node.value
    if isinstance(value, str):
        value = _checked_text(value, keypath, source, problems)
    return value


def _checked_text(value: str, keypath, source: YamlSource, problems: list[Problem]) -> str:
    """The text NFC-normalised, invisible characters removed (with a warning); refused characters
    (direction controls, C1 controls, noncharacters) are problems at the value's line and key."""
    from guidebuilder.load.unicodetext import clean_text, refused_message, warn_removed

    if value.isascii():  # the usual case, quickly (nothing to normalise or refuse)
        return value
    value, removed = clean_text(value)
    if removed:
        warn_removed(f"{source.name}:{source.line_of(keypath)}" + (f": {dotted(keypath)}" if keypath else ""),
                     removed)
    refused = refused_message(value)
    if refused:
        problems.append(Problem(source.name, source.line_of(keypath), dotted(keypath), refused))
    return value


def dotted(keypath) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out

