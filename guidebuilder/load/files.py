"""Stage 1, load: YAML files to validated models. Every problem names file, line and key path."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ValidationError

from guidebuilder.errors import InputError, Problem
from guidebuilder.load.models import BLOCK_KINDS
from guidebuilder.load.yamlsource import YamlSource, dotted, load_yaml

_MESSAGES = {
    "missing": "required key is missing",
    "string_type": "expected text",
    "list_type": "expected a list (items starting with \"- \")",
    "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "date_type": "expected a date like 2027-03-14",
    "date_parsing": "expected a date like 2027-03-14",
    "date_from_datetime_parsing": "expected a date like 2027-03-14",
    "date_from_datetime_inexact": "expected a date like 2027-03-14, without a time",
}


def validate(model: type[BaseModel], source: YamlSource, defaults: dict | None = None):
    """`source.data` validated as `model`; raises InputError listing every problem."""
    data = source.data
    if not isinstance(data, dict):
        raise InputError.at(source.name, source.line_of(()), "", "expected a mapping of keys at the top of the file")
    data = {**(defaults or {}), **data}
    unknown = unknown_key_problems(model, data, (), source)
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise InputError(sorted(set(unknown + problems_from(exc, source, data, {p.key for p in unknown})),
                                key=lambda p: (p.line or 0, p.key))) from None
    if unknown:
        raise InputError(unknown)
    return validated


def unknown_key_problems(annotation, data, keypath: tuple, source: YamlSource) -> list[Problem]:
    """Every key that the model does not know, with the known key it is closest to."""
    from guidebuilder.errors import did_you_mean

    model = _model_for(annotation, data)
    problems = []
    if model is not None and isinstance(data, dict):
        fields = model.model_fields
        for key, value in data.items():
            path = keypath + (key,)
            if key in fields:
                problems += unknown_key_problems(fields[key].annotation, value, path, source)
            else:
                known = [f for f in fields if f not in ("slug",)]
                problems.append(Problem(source.name, source.line_of(path), dotted(path),
                                        f"unknown key{did_you_mean(key, known)}"))
    elif isinstance(data, list):
        item = _list_item(annotation)
        if item is not None:
            for i, value in enumerate(data):
                problems += unknown_key_problems(item, value, keypath + (i,), source)
    return problems


def _candidates(annotation) -> list:
    """The concrete types an annotation allows (Annotated, Optional and unions unwrapped)."""
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return [c for arg in typing.get_args(annotation) for c in _candidates(arg)]
    return [annotation]


def _model_for(annotation, data):
    """The model among the annotation's types that `data` (a mapping) is meant to be."""
    models = [c for c in _candidates(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    if len(models) <= 1 or not isinstance(data, dict):
        return models[0] if models else None
    for model in models:  # a block: {bullets: ...} is the model with a field "bullets"
        if set(data) <= set(model.model_fields):
            return model
    return None


def _list_item(annotation):
    import typing

    for candidate in _candidates(annotation):
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None


def problems_from(exc: ValidationError, source: YamlSource, data, reported=frozenset()) -> list[Problem]:
    """Pydantic's errors as problems; unknown keys already `reported` are not repeated."""
    problems = []
    for error in exc.errors(include_url=False):
        keypath = _data_keypath(data, error["loc"])
        if error["type"] == "extra_forbidden":
            if dotted(keypath) not in reported:
                problems.append(Problem(source.name, source.line_of(keypath), dotted(keypath), "unknown key"))
            continue
        problems.append(Problem(source.name, source.line_of(keypath), dotted(keypath), _message(error)))
    return sorted(set(problems), key=lambda p: (p.line or 0, p.key))


def _data_keypath(data, loc) -> tuple:
    """Pydantic's loc with its internal parts (union tags, validator names) dropped."""
    keypath, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            keypath.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            keypath.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and "[" not in part and part not in ("paragraph",) + tuple(_TAGS):
            keypath.append(part)  # a missing key: name it
            node = None
    return tuple(keypath)


_TAGS = BLOCK_KINDS  # a guide's block kinds: the one key of a block's mapping


def _message(error) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        base = _MESSAGES[kind]
        if kind.endswith("_type") and "input" in error:
            base += f", got {_describe(error['input'])}"
        return base
    if kind == "too_short":
        return f"needs at least {error['ctx']['min_length']} item(s), found {error['ctx']['actual_length']}"
    if kind == "too_long":
        return f"allows at most {error['ctx']['max_length']} item(s), found {error['ctx']['actual_length']}"
    if kind == "block" and isinstance(error.get("input"), dict) and len(error["input"]) == 1:
        from guidebuilder.errors import did_you_mean

        word = next(iter(error["input"]))
        kinds = f'{", ".join(_TAGS[:-1])} or {_TAGS[-1]}'
        return f'unknown block "{word}"{did_you_mean(word, _TAGS)} (expected a paragraph, {kinds})'
    if kind == "literal_error":
        return f"expected one of {error['ctx']['expected']}, got {_describe(error['input'])}"
    return error["msg"]


def _describe(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):  # only an explicit tag (!!bool) makes one: plain values are text
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f'"{value}"' if isinstance(value, str) else f"{type(value).__name__} {value!r}"


# ---- guide -----------------------------------------------------------------------------


def load_guide(path: Path):
    return load_guide_source(path)[0]


def load_guide_source(path: Path):
    """The validated guide and the YAML it came from (for line numbers in later checks).
    Cached per file version: a batch worker builds the same guide for every school."""
    path = Path(path)
    try:
        version = path.stat().st_mtime_ns
    except OSError:
        return _guide_source.__wrapped__(path, 0, path)  # load_yaml words the problem (resolve: a loop raises)
    return _guide_source(path.resolve(), version, path)


@lru_cache(maxsize=16)
def _guide_source(resolved: Path, mtime_ns: int, path: Path):
    from guidebuilder.load.models import Guide

    source = load_yaml(path)
    default_id = Path(path).name.removesuffix(".yaml").removesuffix(".yml")
    guide = validate(Guide, source, {"id": default_id})
    too_long = _text_total_problem(source)
    if too_long:
        raise InputError([too_long])
    problems = _guide_cross_references(guide, source)
    if problems:
        raise InputError(problems)
    return guide, source


MAX_GUIDE_TEXT = 200_000  # characters of text in one guide: 20 times the sample guide's


def _text_total_problem(source: YamlSource) -> Problem | None:
    """A guide's texts add up to at most MAX_GUIDE_TEXT characters (a longer one takes minutes to
    lay out, and no leaflet holds it); else the problem is where the total passes the limit."""
    total, stack = 0, [((), source.data)]
    while stack:
        keypath, node = stack.pop()
        if isinstance(node, str):
            total += len(node)
            if total > MAX_GUIDE_TEXT:
                return Problem(source.name, source.line_of(keypath), dotted(keypath),
                               f"the guide's text passes {MAX_GUIDE_TEXT:,} characters here, over the limit for "
                               f"one guide; split it into shorter guides")
        elif isinstance(node, dict):
            stack.extend(reversed([(keypath + (key,), value) for key, value in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(keypath + (i,), value) for i, value in enumerate(node)]))
    return None


def _guide_cross_references(guide, source: YamlSource) -> list[Problem]:
    problems = []
    known = [s.id for s in guide.sources]
    from guidebuilder.errors import did_you_mean

    for i, fact in enumerate(guide.key_facts):
        if fact.source not in known:
            path = ("key_facts", i, "source")
            problems.append(Problem(source.name, source.line_of(path), dotted(path),
                                    f'names source "{fact.source}", which is not listed under sources'
                                    f"{did_you_mean(fact.source, known)}"))
    seen = {}
    for i, s in enumerate(guide.sources):
        if s.id in seen:
            path = ("sources", i, "id")
            problems.append(Problem(source.name, source.line_of(path), dotted(path),
                                    f'source id "{s.id}" is used twice (first at sources[{seen[s.id]}])'))
        seen.setdefault(s.id, i)
    for si, section in enumerate(guide.sections):
        for bi, block in enumerate(section.body):
            table = getattr(block, "table", None)
            if table is None:
                continue
            for ri, row in enumerate(table.rows):
                if len(row) != len(table.columns):
                    path = ("sections", si, "body", bi, "table", "rows", ri)
                    problems.append(Problem(source.name, source.line_of(path), dotted(path),
                                            f"has {len(row)} cell(s), expected {len(table.columns)} (one per column)"))
    return problems


# ---- school ----------------------------------------------------------------------------


def load_school(path: Path):
    return load_school_source(path)[0]


def load_school_source(path: Path):
    """The validated school and the YAML it came from."""
    from guidebuilder.load.locations import missing_school_problem

    path = Path(path)
    missing = missing_school_problem(path)
    if missing is not None:
        raise InputError([missing])
    source = load_yaml(path)
    if isinstance(source.data, dict) and "slug" in source.data:
        raise InputError.at(source.name, source.line_of(("slug",)), "slug",
                                  "is the school's folder name and cannot be set here; rename the folder")
    return school_from_source(source, path.resolve().parent.name), source


def school_from_source(source: YamlSource, slug: str):
    """Validate a school's data (from a file or a roster row); assets resolve beside `source.path`."""
    from guidebuilder.load.models import School

    school = validate(School, source, {"slug": slug})
    problems = [_asset_problem(source, ("logo",), school.logo, _decode_logo)]
    if school.fonts:
        from guidebuilder.render.fonts import STYLES

        for style in STYLES:
            problems.append(_asset_problem(source, ("fonts", style), getattr(school.fonts, style), _decode_font))
        if not school.fonts.regular:
            problems.append(Problem(source.name, source.line_of(("fonts",)), "fonts.regular",
                                    "required key is missing (the regular style is needed when fonts are given)"))
    problems = [p for p in problems if p]
    if problems:
        raise InputError(problems)
    return school


def _decode_logo(target: Path) -> None:
    from guidebuilder.render.assets import load_image

    load_image(target)


def _decode_font(target: Path) -> None:
    from guidebuilder.render.fonts import register_font

    register_font(target)

def _asset_problem(source: YamlSource, keypath: tuple, relative: str | None, decode) -> Problem | None:
    """An asset must be a readable file inside the school's folder (symbolic links included)."""
    from guidebuilder.render.assets import Outside, Refused, resolve_inside
    from guidebuilder.errors import BuildError

    if relative is None:
        return None
    folder = Path(source.path).resolve().parent
    where = (source.name, source.line_of(keypath), dotted(keypath))
    try:
        target = resolve_inside(folder, relative)
    except Outside:
        return Problem(*where, f'"{relative}" is outside the school\'s folder (put the file inside {folder.name}/)')
    except Refused as exc:
        return Problem(*where, f'"{relative}" {exc}')
    if not target.exists():
        return Problem(*where, f'file "{relative}" not found in {folder.name}/')
    if not target.is_file():  # never opened: a named pipe would block
        return Problem(*where, f'"{relative}" is not a regular file (a named pipe, a device or a folder)')
    try:
        decode(target)
    except BuildError as exc:
        return Problem(*where, f'"{relative}": {exc.message}')
    return None

