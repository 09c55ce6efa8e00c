"""Results kept between runs in the user's cache folder, so a one-off `guidebuilder build` does
not parse the same font files, convert the same SVG logo or encode the same QR code again.

Where: $XDG_CACHE_HOME/guidebuilder (default ~/.cache/guidebuilder), one folder per kind of
result and per version of what computes it, so an upgrade starts afresh. An entry is named by a
hash of its input's bytes; one that cannot be read is computed again and replaced; a folder that
cannot be written only means no caching. GUIDEBUILDER_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

from guidebuilder import __version__

T = TypeVar("T")


def folder(kind: str) -> Path | None:
    """The cache folder for one kind of result (created), or None when caching is off or impossible."""
    if os.environ.get("GUIDEBUILDER_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "guidebuilder" / f"{kind}-{__version__}"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return None  # entries are pickles: never read what another user could have written
        path.mkdir(mode=0o700, exist_ok=True)
        if not _private(path):
            return None
    except OSError:
        return None
    return path


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else (made so if it is this user's)."""
    if not hasattr(os, "getuid"):  # Windows: the user's profile folder is private already
        return True
    info = path.stat()
    if info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o022:  # made with a permissive umask (or by an older version)
        os.chmod(path, info.st_mode & ~0o022 & 0o7777)
    return True


def cached(kind: str, key: bytes, compute: Callable[[], T], keep: int = 1000) -> T:
    """compute(), or its result from an earlier run with the same `kind` and `key`.
    `kind` names what computes the result, with its version; the result must pickle. At most
    about `keep` entries of a kind are kept: the least recently used go first."""
    where = folder(f"{kind}-py{sys.version_info[0]}.{sys.version_info[1]}")
    if where is None:
        return compute()
    name = hashlib.sha256(key).hexdigest()
    entry = where / name
    try:
        with open(entry, "rb") as handle:
            value = pickle.load(handle)
        os.utime(entry)  # recently used
        return value
    except FileNotFoundError:
        pass
    except Exception:  # a damaged or foreign entry: compute it again and replace it
        pass
    value = compute()
    try:
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".part-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except OSError:
        try:
            os.unlink(temporary)
        except (OSError, UnboundLocalError):
            pass
    if int(name[:2], 16) % 16 == 0:  # now and then (entries are named by a hash): prune
        _prune(where, keep)
    return value


def _prune(where: Path, keep: int) -> None:
    """Remove the least recently used entries beyond `keep` (down to 80% of it)."""
    try:
        entries = sorted((e.stat().st_mtime, e.path) for e in os.scandir(where)
                         if e.is_file() and not e.name.startswith("."))
    except OSError:
        return
    if len(entries) > keep:
        for _, path in entries[:len(entries) - int(keep * 0.8)]:
            try:
                os.unlink(path)
            except OSError:
                pass
