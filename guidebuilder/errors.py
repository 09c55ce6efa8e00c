"""Errors that reach the user: each names where the problem is and what was expected."""

from __future__ import annotations

import difflib
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, at one place."""

    file: Path | str | None          # a Path is shown as the user would type it (display_path)
    line: int | None
    key: str
    message: str
    hint: str | None = None          # what to do about it, shown after the message

    def __str__(self) -> str:
        file = display_path(self.file) if isinstance(self.file, Path) else self.file
        where = (f"{file}:{self.line}" if self.line else f"{file}") if file else ""
        text = ": ".join(part for part in (where, self.key, self.message) if part)
        if self.hint:
            text = f"{text}; {self.hint}"
        return _one_line(text)


# Every character str.splitlines breaks at, shown escaped: a problem is one line of output, even
# when it quotes a value typed with a line break in it.
_LINE_BREAKS = {ord(c): c.encode("unicode_escape").decode("ascii")
                for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


class GuidebuilderError(Exception):
    """Base class: carries every problem found, not just the first, one line of output each;
    `exit_code` is what the CLI returns for it."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        if isinstance(problems, str):  # a bare message would be taken a letter at a time
            raise TypeError("give a list of Problems, or use .at(file, line, key, message)")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file, line: int | None, key: str, message: str, hint: str | None = None):
        """The error of one problem: `raise InputError.at(name, line, "colors.primary", "...")`."""
        return cls([Problem(file, line, key, message, hint)])

    @property
    def message(self) -> str:
        """What is wrong, without where (for a caller that words the place itself)."""
        return "\n".join(p.message + (f"; {p.hint}" if p.hint else "") for p in self.problems)


class InputError(GuidebuilderError):
    """Bad input (exit code 2)."""

    exit_code = 2


class BuildError(GuidebuilderError):
    """The inputs were valid but the document could not be built (exit code 1)."""


def internal_error(exc: BaseException, file=None) -> BuildError:
    """A bug of ours, said as one line (the only place "internal error" is worded)."""
    return BuildError.at(file, None, "", f"internal error: {exc.__class__.__name__}: {exc} "
                                         f"(run with --debug for details, and please report it)")


# ---- notes: warnings collected while building, printed by the command like its errors ----

_NOTES: ContextVar[list | None] = ContextVar("guidebuilder_notes", default=None)


@contextmanager
def collecting_notes():
    """Collect the notes (warnings) of what runs inside, in order, each once."""
    notes: list[Problem] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(problem: Problem) -> None:
    """A warning about an input: the build goes on. Outside `collecting_notes` (a library
    caller) it is said on stderr, never dropped."""
    notes = _NOTES.get()
    if notes is None:
        import sys

        print(f"warning: {problem}", file=sys.stderr)
    elif problem not in notes:
        notes.append(problem)


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
