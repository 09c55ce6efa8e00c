"""output/manifest.json: per output file, a hash of every input and facts about the PDF written.

A rerun skips an output whose inputs hash is unchanged and whose file is still the one written.
The manifest is replaced atomically, so an interrupted run never leaves it corrupt.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from guidebuilder.pdf.write import write_atomic

VERSION = 1


class Manifest:
    """The manifest, plus a journal of the records made since it was last saved.

    The process that writes a PDF appends its record to the journal (one line, one write) after
    the bytes are complete and before the file is renamed into place: however a run is stopped,
    every finished PDF on disk has its record, and a record whose rename never happened does not
    match the file that is there (size and mtime), so that output is built again."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / "manifest.json"
        self.journal_path = Path(out_dir) / ".manifest.journal"
        self.entries: dict[str, dict] = {}
        self._journal = None
        self._digests: dict[str, str] = {}  # files layouts read, hashed once per run
        self.replayed = False  # a journal was left (by a killed run): the manifest file is stale
        try:
            if not self.path.is_file():  # missing, or a named pipe that would block: the run's check says which
                raise OSError
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == VERSION and isinstance(data.get("outputs"), dict):
                self.entries = data["outputs"]
        except (OSError, ValueError, AttributeError):
            pass  # no manifest, or an unreadable one: everything is rebuilt
        self._replay()

    def _replay(self) -> None:
        """Apply the journal's records (the lines a killed run left) over the saved entries."""
        try:
            if not self.journal_path.is_file():  # as for the manifest: never open a named pipe
                return
            lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return
        self.replayed = True
        for line in lines:
            try:
                relative, entry = json.loads(line)
            except (ValueError, TypeError):
                continue  # a line cut short by a kill
            if entry is None:
                self.entries.pop(relative, None)
            elif isinstance(entry, dict):
                self.entries[relative] = entry

    def _append(self, relative: str, entry) -> None:
        if self._journal is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.journal_path, "a", encoding="utf-8")
        self._journal.write(json.dumps([relative, entry]) + "\n")
        self._journal.flush()

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def up_to_date(self, relative: str, inputs_hash: str) -> bool:
        entry = self.entries.get(relative)
        return (bool(entry) and entry.get("inputs") == inputs_hash and self._matches(relative, entry)
                and all(self._digest(path) == digest for path, digest in (entry.get("reads") or {}).items()))

    def _digest(self, path: str) -> str:
        digest = self._digests.get(path)
        if digest is None:
            digest = self._digests[path] = file_digest(Path(path))
        return digest

    def describes(self, relative: str) -> bool:
        """The file at `relative` is the one this manifest recorded writing (so it is ours)."""
        entry = self.entries.get(relative)
        return isinstance(entry, dict) and self._matches(relative, entry)

    def _matches(self, relative: str, entry: dict) -> bool:
        """The file is still the one the record describes."""
        try:
            stat = (self.path.parent / relative).stat()
        except OSError:
            return False
        return stat.st_size == entry.get("size") and stat.st_mtime_ns == entry.get("mtime_ns")

    def record(self, relative: str, inputs_hash: str, pdf_hash: str, size: int, mtime_ns: int,
               journaled: bool = False, reads: dict | None = None) -> None:
        """Note a PDF written; `journaled`: its writer has already appended the record."""
        self.entries[relative] = entry(inputs_hash, pdf_hash, size, mtime_ns, reads)
        if not journaled:
            self._append(relative, self.entries[relative])

    def forget(self, relative: str) -> None:
        """Drop an output's record, also one that only its writer journaled."""
        self.entries.pop(relative, None)
        self._append(relative, None)

    def save(self) -> None:
        """Write the manifest (atomically) with every journaled record, then start a new journal."""
        self._replay()  # records whose writer finished but whose result never reached us
        for relative in [r for r, e in self.entries.items() if not self._matches(r, e)]:
            del self.entries[relative]  # its writer stopped before the rename, or the file changed since
        data = {"version": VERSION, "outputs": dict(sorted(self.entries.items()))}
        write_atomic(self.path, json.dumps(data, indent=1).encode("utf-8"))
        self.close()
        try:
            self.journal_path.unlink()
        except OSError:
            pass


def entry(inputs_hash: str, pdf_hash: str, size: int, mtime_ns: int, reads: dict | None = None) -> dict:
    """A manifest record; `reads`: digests of files the layout read (path -> sha256), if any."""
    record = {"inputs": inputs_hash, "pdf": pdf_hash, "size": size, "mtime_ns": mtime_ns}
    if reads:
        record["reads"] = reads
    return record


def journal_record(out_dir: Path, relative: str, record: dict) -> None:
    """Append one record to the journal of `out_dir` from any process: one line in one write
    to a file opened for appending, so lines from several workers never interleave."""
    line = (json.dumps([relative, record]) + "\n").encode("utf-8")
    fd = os.open(Path(out_dir) / ".manifest.journal", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


MAX_HASHED_BYTES = 50_000_000  # a larger input is not read (its build refuses it anyway)


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file, read in chunks; a stand-in for one that is missing, not a
    regular file (a FIFO would block) or too large to be an input."""
    path = Path(path)
    try:
        if not path.is_file():
            return "missing"
        size = path.stat().st_size
        if size > MAX_HASHED_BYTES:
            return f"too-large:{size}"
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return "missing"


def tree_digest(folders) -> str:
    """One hash over every layout file and the stylesheet that a build could read."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.name.startswith(".") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()


def combine(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def stat_of(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns
