"""Stage 4, write (files): bytes -> a file, atomically: never half written, never over an input.

The PDF bytes themselves are made by pdf/pages.py.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from guidebuilder.errors import BuildError, display_path


def lock_while_writing(handle) -> None:
    """Hold a lock on a temporary file until it is renamed (the lock goes with the process): a
    later run removes only temporaries nobody holds (batch.remove_stale_temporaries)."""
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass  # no locks here (Windows, some network filesystems): only old temporaries are removed


def write_atomic(path: Path, data: bytes, before_rename=None) -> None:
    """Write `data` to `path` through a temporary file and a rename: never a half-written PDF.
    `before_rename(temporary_path)` runs once the bytes are complete (to record them first)."""
    with open_atomic(path, before_rename) as handle:
        handle.write(data)


@contextlib.contextmanager
def open_atomic(path: Path, before_rename=None):
    """A file handle to write `path` through: the bytes go to a temporary file in the same folder,
    renamed over `path` when the block ends without an error (removed otherwise)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BuildError.at(display_path(path.parent), None, "", f"cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            lock_while_writing(handle)
            yield handle
            handle.flush()
            os.chmod(temp, 0o644)
            if before_rename is not None:
                before_rename(Path(temp))
            os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BuildError.at(display_path(path), None, "", f"cannot write ({exc.strerror})") from None
        raise


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, completely or not at all: a temporary file linked
    into place (a link never replaces an existing file), or renamed where links are not supported.
    Raises FileExistsError when something is already at `path`."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        try:
            os.link(temp, path)  # raises FileExistsError if something is there
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT file systems)
            if os.path.lexists(path):
                raise FileExistsError(path) from None
            os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
