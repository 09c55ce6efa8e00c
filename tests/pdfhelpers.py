"""Helpers shared by the test modules: reading PDFs, normalising text, walking resources."""

from __future__ import annotations

import contextlib
import io
import os
import re
import unicodedata
from pathlib import Path

import yaml
from pypdf import PdfReader
from pypdf.generic import IndirectObject

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
LAYOUTS_DIR = REPO / "layouts"
GUIDE_FILE = CONTENT / "medical-coder.yaml"
SCHOOLS = ("default", "lakeside", "riverbend")
SIZES = ("letter", "a4")
LAYOUTS = ("handout", "checklist")
PAGE_POINTS = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}


def school_file(slug: str) -> Path:
    return CONTENT / "schools" / slug / "school.yaml"


@contextlib.contextmanager
def working_dir(path: Path):
    """Run with `path` as the working folder (the tool looks in ./content and ./layouts first)."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def cli_runner():
    """A CliRunner that keeps stderr apart from stdout (click 8.1 and 8.2+)."""
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


# ---- guide files -----------------------------------------------------------------------


def render_layout_text(tmp_path: Path, source: str, **context) -> str:
    """The markup of a layout whose text is `source`, in a fresh folder under `tmp_path` (so no
    compiled template is reused)."""
    from guidebuilder.template.jinja import render_markup

    folder = tmp_path / f"layouts{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "t.xml.j2").write_text(source, encoding="utf-8")
    return render_markup(folder / "t.xml.j2", (folder,), **context)


def guide_data() -> dict:
    """The real guide as plain data, to modify and dump into a temporary guide file."""
    return yaml.safe_load(GUIDE_FILE.read_text(encoding="utf-8"))


def write_guide(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---- text ------------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ad": "",
                         "\u2010": "-", "\u2011": "-", "\u00a0": " "})


def squash(text: str) -> str:
    """Text compared without whitespace, ligatures (NFKC) or typographic quotes."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", "", text)


def plain_markdown(text: str) -> str:
    """What the inline Markdown subset prints: **x** -> x, *x* -> x, [x](url) -> x."""
    text = re.sub(r"\[([^\]]+)\]\((https?://[^\s)]+)\)", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*([^*\s](?:[^*]*[^*\s])?)\*(?![\w*])", r"\1", text)
    return text


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def contains_text(haystack: str, needle: str) -> bool:
    """`needle` occurs in extracted `haystack`, ignoring whitespace and line-end hyphenation."""
    wanted = squash(needle)
    if wanted in squash(haystack):
        return True
    dehyphenated = re.sub(r"(?<=\w)[-\u00ad]\s*\n\s*(?=\w)", "", haystack)
    return wanted in squash(dehyphenated)


def reader_of(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


# ---- resources ---------------------------------------------------------------------------


def resolve(obj):
    while isinstance(obj, IndirectObject):
        obj = obj.get_object()
    return obj


def _key(obj, raw):
    return (raw.idnum, raw.generation) if isinstance(raw, IndirectObject) else id(obj)


def walk_resources(page):
    """Every resources dictionary reachable from `page`: its own, form XObjects (nested),
    tiling patterns, soft-mask groups and annotation appearance streams."""
    seen: set = set()
    found: list = []

    def visit_resources(raw):
        res = resolve(raw)
        if res is None or _key(res, raw) in seen:
            return
        seen.add(_key(res, raw))
        found.append(res)
        for name in ("/XObject", "/Pattern"):
            group = resolve(res.get(name))
            for value in (group or {}).values():
                visit_stream(value)
        gstates = resolve(res.get("/ExtGState")) or {}
        for gs in gstates.values():
            smask = resolve(resolve(gs).get("/SMask"))
            if hasattr(smask, "get") and smask.get("/G") is not None:
                visit_stream(smask["/G"])

    def visit_stream(raw):
        obj = resolve(raw)
        if obj is None or _key(obj, raw) in seen:
            return
        seen.add(_key(obj, raw))
        if hasattr(obj, "get") and obj.get("/Resources") is not None:
            visit_resources(obj["/Resources"])

    visit_resources(page.get("/Resources"))
    for annot in resolve(page.get("/Annots")) or []:
        appearance = resolve(resolve(annot).get("/AP")) or {}
        for state in ("/N", "/R", "/D"):
            if state not in appearance:
                continue
            raw = appearance.raw_get(state)
            value = resolve(raw)
            if hasattr(value, "get_data"):
                visit_stream(raw)
            else:  # a dictionary of appearance states, each a stream
                for sub in value.values():
                    visit_stream(sub)
    return found


def fonts_of(page):
    """(resource name, font dictionary) of every font reachable from `page`."""
    out = []
    for res in walk_resources(page):
        for name, font in (resolve(res.get("/Font")) or {}).items():
            out.append((name, resolve(font)))
    return out


def image_xobjects(page):
    """Image XObjects reachable from `page` (directly or inside form XObjects)."""
    images = []
    for res in walk_resources(page):
        for name, xobj in (resolve(res.get("/XObject")) or {}).items():
            xobj = resolve(xobj)
            if xobj.get("/Subtype") == "/Image":
                images.append((name, xobj))
    return images


def content_streams(page) -> list[str]:
    """The page's content, then the content of every form XObject it reaches, as text."""
    streams = [page.get_contents().get_data().decode("latin-1")]
    for res in walk_resources(page):
        for xobj in (resolve(res.get("/XObject")) or {}).values():
            xobj = resolve(xobj)
            if xobj.get("/Subtype") == "/Form":
                streams.append(xobj.get_data().decode("latin-1"))
    return streams


_COLOUR_OP = re.compile(r"(?<![\w.\-])(-?\d*\.?\d+)\s+(-?\d*\.?\d+)\s+(-?\d*\.?\d+)\s+(rg|RG)(?![\w])")


def colour_ops(page) -> list[tuple[tuple[float, float, float], str]]:
    """Every RGB colour set on `page`: ((r, g, b), 'rg' for fill or 'RG' for stroke)."""
    ops = []
    for stream in content_streams(page):
        for r, g, b, op in _COLOUR_OP.findall(stream):
            ops.append(((float(r), float(g), float(b)), op))
    return ops


def hex_rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def has_colour(page, hex_colour: str, op: str | None = None, tol: float = 0.002) -> bool:
    want = hex_rgb(hex_colour)
    return any(all(abs(a - b) <= tol for a, b in zip(rgb, want)) and (op is None or op == kind)
               for rgb, kind in colour_ops(page))


STANDARD_14 = re.compile(r"^(Helvetica|Times|Courier|Symbol|ZapfDingbats)", re.IGNORECASE)


def base_font_name(font) -> str:
    name = str(font.get("/BaseFont", "")).lstrip("/")
    return re.sub(r"^[A-Z]{6}\+", "", name)


def live_processes(field: int, value: int) -> list[int]:
    """Live (non-zombie) processes whose /proc stat field `field` (after the command name:
    1 is the parent pid, 2 the process group) equals `value`. No psutil needed."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[field]) == value and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
