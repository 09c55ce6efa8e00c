"""Errors that reach the user: each names where the problem is and what was expected."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, at one place."""

    file: Path | str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return _one_line(text)


# Every character str.splitlines breaks at, shown escaped: a problem is one line of output, even
# when it quotes a value typed with a line break in it.
_LINE_BREAKS = {ord(c): c.encode("unicode_escape").decode("ascii")
                for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


class GuidebuilderError(Exception):
    """Base class; `exit_code` is what the CLI returns for it."""

    exit_code = 1


class InputError(GuidebuilderError):
    """Bad input (exit code 2). Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(GuidebuilderError):
    """The inputs were valid but the document could not be built (exit code 1)."""


def input_error(file, line, key, message) -> InputError:
    return InputError([Problem(file, line, key, message)])


def did_you_mean(word: str, choices) -> str:
    """' did you mean "x"?' when a choice is close to `word`, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f', did you mean "{close[0]}"?' if close else ""


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # outside it, or a symbolic link loop (RuntimeError)
        try:
            return str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
