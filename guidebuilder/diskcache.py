"""Results kept between runs in the user's cache folder, so a one-off `guidebuilder build` does
not parse the same font files, convert the same SVG logo or encode the same QR code again.

Where: $XDG_CACHE_HOME/guidebuilder (default ~/.cache/guidebuilder), one folder per kind of
result and per version of what computes it, so an upgrade starts afresh. An entry is named by a
hash of its input's bytes. GUIDEBUILDER_NO_CACHE=1 turns it off.

An entry is a header line naming the versions that made it (guidebuilder, Python, and the
`kind`, which names the library that computed it with its version), a blake2b checksum of header
and payload, then the payload. An entry that does not verify (damaged, truncated, foreign, from
other versions) is never unpickled or unmarshalled: it is computed again and replaced. Any cache
failure (cannot read, cannot write, disk full) only means no caching: never a failed build, never
a different result.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import platform
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

from guidebuilder import __version__

T = TypeVar("T")

DIGEST_BYTES = 32
MAX_ENTRY_BYTES = 128 * 1024 * 1024  # a parsed 30 MB font is the biggest; anything larger is not kept


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
    payload = read_entry(entry, kind)
    if payload is not None:
        try:
            value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - verified, yet unreadable (a class changed): compute it again
            pass
        else:
            try:
                os.utime(entry)  # recently used
            except OSError:
                pass
            return value
    value = compute()
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a result that does not pickle is simply not kept
        return value
    write_entry(entry, kind, payload)
    if int(name[:2], 16) % 16 == 0:  # now and then (entries are named by a hash): prune
        _prune(where, keep)
    return value


def _header(kind: str) -> bytes:
    """The first line of an entry: the versions of everything that made its payload."""
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"guidebuilder cache entry; guidebuilder {__version__}; {python}; {kind}\n".encode("utf-8")


def _digest(header: bytes, payload: bytes) -> bytes:
    digest = hashlib.blake2b(header, digest_size=DIGEST_BYTES)
    digest.update(payload)  # not header + payload: a parsed font's payload is megabytes
    return digest.digest()


def read_entry(entry: Path, kind: str) -> bytes | None:
    """The payload of `entry`, or None when it is missing, unreadable or does not verify: not a
    regular file, over the size limit, another header (versions), a wrong checksum, truncated."""
    header = _header(kind)
    try:
        # O_NONBLOCK: a FIFO put in its place must not hang the build (it is refused below)
        fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = None
            data = handle.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        if fd is not None:
            os.close(fd)
    start = len(header) + DIGEST_BYTES
    if len(data) < start or len(data) > MAX_ENTRY_BYTES or not data.startswith(header):
        return None
    payload = data[start:]
    if not hmac.compare_digest(data[len(header):start], _digest(header, payload)):
        return None
    return payload


def write_entry(entry: Path, kind: str, payload: bytes) -> None:
    """Replace `entry` with `payload`, its versions and its checksum, all at once (readers see
    the old entry or the new one). A failure of any kind (disk full, read-only, gone) leaves
    no entry and no temporary file, and is not an error: the next run computes it again."""
    header = _header(kind)
    if len(header) + DIGEST_BYTES + len(payload) > MAX_ENTRY_BYTES:
        return
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".part-")
        with os.fdopen(handle, "wb") as out:
            out.write(header)
            out.write(_digest(header, payload))
            out.write(payload)
        os.replace(temporary, entry)
        temporary = None
    except Exception:  # noqa: BLE001 - no caching, never a failed build
        pass
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


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
