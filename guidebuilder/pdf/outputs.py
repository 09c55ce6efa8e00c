"""What a run may write (issue 11, item 2): never a file it reads, never a file it did not make.

A run writes its PDFs, its manifest (and journal) and the print file of --combine. Before it
writes anything, every one of them is checked against the files the run reads (roster, guides,
schools, logos, fonts, layouts, stylesheet, images the layouts read), and an existing file is
replaced only when it is guidebuilder's own: a PDF whose metadata names guidebuilder as its
creator or producer, or a manifest. A problem is bad input (exit 2), named with the file and why.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from guidebuilder.errors import InputError, Problem, display_path


def special_file(path: Path) -> bool:
    """Whether `path` is there but is neither a regular file nor a folder (a named pipe, a socket,
    a device): opening one to look inside can wait for ever, so it is told from its stat alone."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, a dangling link or a link loop: nothing to open
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def own_pdf(path: Path) -> bool:
    """A PDF guidebuilder wrote: its document information names guidebuilder."""
    import logging

    if special_file(path):
        return False

    from pypdf import PdfReader

    log = logging.getLogger("pypdf")
    level, log.level = log.level, logging.CRITICAL  # what is wrong with someone else's file is no news
    try:
        info = PdfReader(path).metadata or {}
        return any(str(info.get(key, "")).startswith("guidebuilder") for key in ("/Creator", "/Producer"))
    except Exception:  # noqa: BLE001 - not a PDF pypdf can read: not one of ours
        return False
    finally:
        log.level = level


def own_manifest(path: Path) -> bool:
    """A manifest guidebuilder wrote (or a damaged one: it starts the way ours do)."""
    if special_file(path):
        return False
    try:
        with open(path, "rb") as handle:
            start = handle.read(64)
    except OSError:
        return False
    return re.match(rb'\s*\{\s*"version"\s*:', start) is not None


class Inputs:
    """The files a run reads, each with what it is to the run."""

    def __init__(self):
        self._by_path: dict[str, str] = {}
        self._by_inode: dict[tuple[int, int], str] = {}

    def add(self, path: Path | str, what: str) -> None:
        path = Path(path)
        try:
            resolved = str(path.resolve())
        except (OSError, RuntimeError):  # a symbolic link loop: nothing can be written through it anyway
            return
        self._by_path.setdefault(resolved, what)
        try:
            info = os.stat(resolved)
            self._by_inode.setdefault((info.st_dev, info.st_ino), what)
        except OSError:
            pass

    def add_tree(self, folder: Path, what) -> None:
        """Every file under `folder`; `what(path)` says what it is."""
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                self.add(path, what(path))

    def role_of(self, target: Path) -> str | None:
        try:
            role = self._by_path.get(str(target.resolve()))
        except (OSError, RuntimeError):
            return None
        if role is None:
            try:
                info = os.stat(target)
                role = self._by_inode.get((info.st_dev, info.st_ino))
            except OSError:
                pass
        return role


def layout_role(path: Path) -> str:
    if path.name == "base.yaml":
        return "the stylesheet this run reads"
    return "a layout file this run reads"


def school_asset_files(folder: Path, data) -> list[tuple[Path, str]]:
    """The logo and font files a school's data points at (inside its folder)."""
    if not isinstance(data, dict):
        return []
    fonts = data.get("fonts") if isinstance(data.get("fonts"), dict) else {}
    found = []
    for relative, what in [(data.get("logo"), "a school's logo"), *((f, "a school's font") for f in fonts.values())]:
        if isinstance(relative, str):
            found.append((Path(folder) / relative, f"{what} this run reads"))
    return found


def target_label(path: Path) -> str:
    """An output path as the user would type it, its last part not resolved: when a symbolic link
    is in the way it is the link that is named, not the file it points to."""
    path = Path(path)
    return str(Path(display_path(path.parent)) / path.name)


def check_targets(targets: list[tuple[Path, str, str, bool]], inputs: Inputs) -> None:
    """`targets`: (path, label, advice, known_own). Raises InputError naming every target that is
    an input of the run, or an existing file guidebuilder did not write."""
    problems = []
    for path, label, advice, known_own in targets:
        role = inputs.role_of(path)
        if special_file(path):  # checked before anything opens it: a named pipe would hang the run
            problems.append(Problem(label, None, "", f"is not a regular file (a named pipe, a socket or a device); "
                                                     f"{advice}, or move it away"))
        elif role is not None:
            link = f"a symbolic link to {display_path(path)}, " if os.path.islink(path) else ""
            problems.append(Problem(label, None, "", f"is {link}{role}; {advice}"))
        elif not known_own and _foreign(path):
            problems.append(Problem(label, None, "", f"exists and was not written by guidebuilder; {advice}, "
                                                     f"or move the file away"))
    if problems:
        raise InputError(problems)


def _foreign(path: Path) -> bool:
    if not (os.path.lexists(path)) or Path(path).is_dir():
        return False  # nothing to replace (a folder in the way is a write error, worded there)
    if Path(path).name == "manifest.json":
        return not own_manifest(path)
    return not own_pdf(path)
