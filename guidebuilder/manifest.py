"""output/manifest.json: per output file, a hash of every input and facts about the PDF written.

A rerun skips an output whose inputs hash is unchanged and whose file is still the one written.
The manifest is replaced atomically, so an interrupted run never leaves it corrupt.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from guidebuilder.write import write_atomic

VERSION = 1


class Manifest:
    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / "manifest.json"
        self.entries: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == VERSION and isinstance(data.get("outputs"), dict):
                self.entries = data["outputs"]
        except (OSError, ValueError, AttributeError):
            pass  # no manifest, or an unreadable one: everything is rebuilt

    def up_to_date(self, relative: str, inputs_hash: str) -> bool:
        entry = self.entries.get(relative)
        if not entry or entry.get("inputs") != inputs_hash:
            return False
        try:
            stat = (self.path.parent / relative).stat()
        except OSError:
            return False
        return stat.st_size == entry.get("size") and stat.st_mtime_ns == entry.get("mtime_ns")

    def record(self, relative: str, inputs_hash: str, pdf_hash: str, size: int, mtime_ns: int) -> None:
        self.entries[relative] = {"inputs": inputs_hash, "pdf": pdf_hash, "size": size, "mtime_ns": mtime_ns}

    def forget(self, relative: str) -> None:
        self.entries.pop(relative, None)

    def save(self) -> None:
        data = {"version": VERSION, "outputs": dict(sorted(self.entries.items()))}
        write_atomic(self.path, json.dumps(data, indent=1).encode("utf-8"))


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
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
