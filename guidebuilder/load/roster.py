"""Rosters: a CSV export with one school per row, dotted column names for nested keys.

Each row is validated like a school file; problems name the file, the row's line and the
column. Asset paths (logo, fonts) are relative to the CSV file's folder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from guidebuilder.errors import InputError, Problem, did_you_mean, display_path
from guidebuilder.load.yamlsource import YamlSource

MAX_ROSTER_BYTES = 50_000_000


@dataclass
class RosterRow:
    """One row: its nested data, where it came from, and its problems (if any)."""

    csv_path: Path
    line: int
    slug: str
    data: dict
    problems: list

    def source(self) -> YamlSource:
        """The row as a YAML-like source: every key path points at the row's line."""
        source = YamlSource(self.csv_path, self.data, {(): self.line})
        _all_keypaths(self.data, (), source.lines, self.line)
        return source


def _all_keypaths(data, keypath, lines, line):
    lines[keypath] = line
    if isinstance(data, dict):
        for key, value in data.items():
            _all_keypaths(value, keypath + (key,), lines, line)


def read_roster(path: Path) -> list[RosterRow]:
    """Parse the CSV; raises InputError only for a file that cannot be read as a roster at all."""
    from guidebuilder.load.yamlsource import read_limited

    name = display_path(path)
    raw = read_limited(Path(path), MAX_ROSTER_BYTES, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError.at(name, line, "", "is not UTF-8 text (export the spreadsheet as "
                                                  "\"CSV UTF-8\")") from None
    previous_limit = csv.field_size_limit(MAX_ROSTER_BYTES)  # cells are measured below, by name
    try:
        return _read_rows(path, name, text, csv.reader(io.StringIO(text, newline="")))
    finally:
        csv.field_size_limit(previous_limit)


def _read_rows(path: Path, name: str, text: str, reader) -> list[RosterRow]:
    from guidebuilder.load.models import School
    from guidebuilder.scaffold import slugify
    from guidebuilder.load.unicodetext import clean_text, refused_message, warn_removed

    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InputError.at(name, 1, "", "the roster is empty (expected a header row of column names)")
    header = [h.strip() for h in header]
    problems = _header_problems(name, header, School)
    if problems:
        raise InputError(problems)
    rows, seen = [], {}
    first_line = reader.line_num + 1
    for index, cells in enumerate(reader):
        line = reader.line_num
        _check_cell_sizes(name, first_line, header, cells)
        first_line = line + 1
        if not any(c.strip() for c in cells):
            continue
        row_problems = []
        if len(cells) != len(header):
            row_problems.append(Problem(name, line, "", f"has {len(cells)} cell(s), the header has {len(header)} "
                                                        f"columns"))
        data: dict = {}
        for column, cell in zip(header, cells):
            if cell.strip() == "":
                continue
            target = data
            *parents, last = column.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            cell, removed = clean_text(cell.strip())
            if removed:
                warn_removed(f"{name}:{line}: {column}", removed)
            refused = refused_message(cell)
            if refused:
                row_problems.append(Problem(name, line, column, refused))
            target[last] = cell
        slug = slugify(data.pop("slug", "") or data.get("name", "") or f"row-{line}")
        if slug in seen:
            row_problems.append(Problem(name, line, "slug", f'"{slug}" is also the slug of the row on line '
                                                            f"{seen[slug]}; give one a different slug"))
        seen.setdefault(slug, line)
        rows.append(RosterRow(Path(path), line, slug, data, row_problems))
    return rows


MAX_CELL = 131_072  # characters: Python's csv default limit, far beyond any school's value


def _check_cell_sizes(name: str, line: int, header: list[str], cells: list[str]) -> None:
    for i, cell in enumerate(cells):
        if len(cell) > MAX_CELL:
            column = header[i] if i < len(header) else f"cell {i + 1}"
            hint = (" (a quote that is never closed makes the rest of the file one cell)"
                    if cell.count("\n") > 1 else "")
            raise InputError.at(name, line, column, f"the cell is {len(cell):,} characters long, over the "
                                                          f"{MAX_CELL:,} character limit{hint}")


def _header_problems(name: str, header: list[str], model) -> list[Problem]:
    """Columns must name school keys (dotted for nested ones), each once, and a key and one of
    its parts (colors and colors.primary) never both."""
    problems, seen = [], set()
    for column in header:
        if column in seen:
            problems.append(Problem(name, 1, column, "column appears twice"))
        seen.add(column)
        whole = next((other for other in header if column.startswith(other + ".")), None)
        if whole is not None:
            problems.append(Problem(name, 1, column, f'both this column and column "{whole}" set {whole}; '
                                                     f'keep one of them'))
            continue
        if column == "slug":
            continue
        current, parts = model, column.split(".")
        for i, part in enumerate(parts):
            fields = current.model_fields if current is not None else {}
            if part not in fields or part == "slug":
                known = [".".join(parts[:i] + [f]) for f in fields if f != "slug"]
                problems.append(Problem(name, 1, column, f"unknown column{did_you_mean('.'.join(parts[:i + 1]), known)}"))
                break
            current = _nested_model(fields[part].annotation)
    return problems


def _nested_model(annotation):
    from pydantic import BaseModel
    import typing

    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
