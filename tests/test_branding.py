"""School branding in depth (issue 3): logos in every format and shape, bad logos, brand fonts,
readable colours, QR codes and new-school scaffolding.

Every fixture file (logos, fonts, schools) is generated in tmp_path at test time. PDFs are read
with pypdf (text, fonts) and pypdfium2 (page objects, per-character fill colours, rendering);
QR codes are decoded from the rendered page with zxing-cpp.
"""

from __future__ import annotations

import collections
import ctypes
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pdfhelpers import (CONTENT, REPO, base_font_name, cli_runner, contains_text, fonts_of, reader_of,
                        school_file, working_dir)

BRAND = "#0B4F6C"                      # a dark band colour: the logo card stands out on it
LOGO_RGB = (230, 20, 200)              # a magenta that nothing else on the page uses
LOGO_HEX = "#E614C8"
HANDOUT_BOX = (2.6 * 72, 0.62 * 72)    # <logo/> defaults in the handout
CHECKLIST_BOX = (2.6 * 72, 0.5 * 72)   # <logo max-height="0.5in"/> in the checklist
WHITE = "#FFFFFF"
LATO = CONTENT / "schools" / "summit-ridge" / "fonts"
HEADING = "Your path, step by step"


# ---- helpers: files ---------------------------------------------------------------------------


def write_school(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "school.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def logo_school_yaml(logo: str, name: str = "Logo Test College", extra: str = "") -> str:
    # The logo key is on line 2: error messages must point there.
    return f'name: {name}\nlogo: {logo}\ncolors:\n  primary: "{BRAND}"\n{extra}'


def source_sans_dir() -> Path:
    return Path(importlib.util.find_spec("font_source_sans_pro").submodule_search_locations[0]) / "files"


def build(school_path: Path, layout: str) -> bytes:
    """One document for a school file, with the real guide (as the session fixtures build)."""
    from guidebuilder.pipeline import build_pdf, load_inputs

    with working_dir(REPO):
        return build_pdf(load_inputs(None, str(school_path)), layout)


def run_cli(args, cwd, timeout=20):
    """`python -m guidebuilder ARGS` as a real process that must finish within `timeout` seconds."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout)
    result.elapsed = time.monotonic() - started
    return result


def invoke(args):
    from guidebuilder.cli import main

    return cli_runner().invoke(main, args, catch_exceptions=True)


def assert_clean_exit_2(result):
    """Exit 2 through the CLI's own error reporting: no crash, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")


# ---- helpers: PDF pages through pdfium -------------------------------------------------------


def _pdfium_page(pdf: bytes, index: int):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    return doc, doc[index if index >= 0 else len(doc) + index]


def _fill_of(obj) -> tuple[int, int, int]:
    import pypdfium2.raw as raw

    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    raw.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
    return r.value, g.value, b.value


@dataclass
class Placement:
    images: list        # [(bounds (l, b, r, t) in points, (px width, px height))]
    logo_paths: list    # bounds of vector paths filled with LOGO_RGB
    white_fills: list   # bounds of white-filled paths (the logo card among them)
    page_height: float


def placements(pdf: bytes, index: int = 0) -> Placement:
    import pypdfium2.raw as raw

    doc, page = _pdfium_page(pdf, index)
    images, logo_paths, white = [], [], []
    for obj in page.get_objects(max_depth=6):
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            images.append((tuple(obj.get_bounds()), tuple(obj.get_px_size())))
        elif obj.type == raw.FPDF_PAGEOBJ_PATH:
            fill = _fill_of(obj)
            if fill == LOGO_RGB:
                logo_paths.append(tuple(obj.get_bounds()))
            elif fill == (255, 255, 255):
                white.append(tuple(obj.get_bounds()))
    return Placement(images, logo_paths, white, page.get_height())


def union(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def contains(outer, inner, tol=0.05) -> bool:
    return (outer[0] - tol <= inner[0] and outer[1] - tol <= inner[1]
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def render(pdf: bytes, index: int, scale: float):
    doc, page = _pdfium_page(pdf, index)
    return page.render(scale=scale).to_pil().convert("RGB"), page.get_height()


def pixel_at(image, page_height, scale, x_pt, y_pt):
    return image.getpixel((int(x_pt * scale), int((page_height - y_pt) * scale)))


def near(colour, want, tol) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(colour, want))


@dataclass
class Char:
    char: str
    fill: str           # the text's fill colour, as set by the content stream
    background: str     # the colour most common just around the glyph's box, as rendered
    size: float         # effective size in points (font size times the text matrix scale)
    weight: int
    scaled: bool        # drawn under a scaled matrix (text inside the SVG logo drawing)


def chars_of(pdf: bytes, index: int = 0, scale: float = 3) -> list[Char]:
    """Every character of a page with its fill colour and the background it sits on."""
    import pypdfium2.raw as raw

    doc, page = _pdfium_page(pdf, index)
    image = page.render(scale=scale).to_pil().convert("RGB")
    pixels, (width, height), page_height = image.load(), image.size, page.get_height()
    textpage = page.get_textpage()
    out = []
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    matrix = raw.FS_MATRIX()
    for i in range(textpage.count_chars()):
        char = chr(raw.FPDFText_GetUnicode(textpage.raw, i))
        if not raw.FPDFText_GetFillColor(textpage.raw, i, r, g, b, a):
            out.append(Char(char, "", "", 0, 0, False))  # generated (a space or line end pdfium inferred)
            continue
        fill = "#%02X%02X%02X" % (r.value, g.value, b.value)
        raw.FPDFText_GetMatrix(textpage.raw, i, matrix)
        factor = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
        size = raw.FPDFText_GetFontSize(textpage.raw, i) * factor
        raw.FPDFText_GetCharBox(textpage.raw, i, left, right, bottom, top)
        x0, x1 = int(left.value * scale) - 2, int(right.value * scale) + 2
        y0, y1 = int((page_height - top.value) * scale) - 2, int((page_height - bottom.value) * scale) + 2
        ring = [(x, y) for x in range(x0, x1 + 1) for y in (y0, y1)] + \
               [(x, y) for y in range(y0, y1 + 1) for x in (x0, x1)]
        counts = collections.Counter(pixels[x, y] for x, y in ring if 0 <= x < width and 0 <= y < height)
        background = "#%02X%02X%02X" % counts.most_common(1)[0][0] if counts else WHITE
        out.append(Char(char, fill, background, size, raw.FPDFText_GetFontWeight(textpage.raw, i),
                        abs(factor - 1) > 0.01))
    return out


def chars_of_text(chars: list[Char], text: str) -> list[Char]:
    """The characters spelling `text` (first occurrence) on the page."""
    joined = "".join(c.char for c in chars)
    at = joined.find(text)
    assert at >= 0, f"{text!r} not found on the page"
    return [c for c in chars[at:at + len(text)] if c.fill and not c.char.isspace()]


def minimum_contrast(char: Char) -> float:
    """WCAG 2.1 AA: 3:1 for large text (18 pt, or 14 pt bold), else 4.5:1."""
    large = char.size >= 17.99 or (char.size >= 13.99 and char.weight >= 700)
    return 3.0 if large else 4.5


# ---- helpers: QR codes ----------------------------------------------------------------------


def decode_qr(pdf: bytes, index: int, scale: float = 4):
    import zxingcpp

    image, page_height = render(pdf, index, scale)
    codes = [c for c in zxingcpp.read_barcodes(image) if "QR" in str(c.format)]
    return codes, image


# ---- schools built once per module ----------------------------------------------------------


YELLOW_SCHOOL = ('name: Yellow Valley College\n'
                 'colors:\n  primary: "#FFFF00"\n  accent: "#F0F8FF"\n'
                 'contact:\n  office: Careers Office\n  website: https://yellow-valley.example.edu/careers\n')


@pytest.fixture(scope="module")
def yellow(tmp_path_factory):
    """A yellow brand (1.1:1 on white) with a near-white accent, no logo and no program:
    {"file": school.yaml, "handout": bytes, "checklist": bytes}."""
    path = write_school(tmp_path_factory.mktemp("yellow") / "yellow-valley", YELLOW_SCHOOL)
    return {"file": path, "handout": build(path, "handout"), "checklist": build(path, "checklist")}


def pdf_of(built, yellow, school: str, layout: str) -> bytes:
    return yellow[layout] if school == "yellow" else built(school, layout, "letter").data


# ===== 1. logos ===============================================================================


def _png_rgba(path: Path):
    """A magenta frame, 30 px thick, around a fully transparent centre."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([0, 0, 599, 199], outline=LOGO_RGB + (255,), width=30)
    image.save(path)


CMYK = (0, 200, 60, 0)
LOGO_FORMATS = {
    # id: (file name, writer, (width, height) in the file, colour printed at the logo's centre)
    "png-rgba": ("logo.png", _png_rgba, (600, 200), (255, 255, 255)),  # transparent: the white card shows
    "jpeg-rgb": ("logo.jpg", lambda p: Image.new("RGB", (600, 200), LOGO_RGB).save(p, quality=95),
                 (600, 200), LOGO_RGB),
    "jpeg-grey": ("logo.jpg", lambda p: Image.new("L", (600, 200), 90).save(p, quality=95),
                  (600, 200), (90, 90, 90)),
    "jpeg-cmyk": ("logo.jpeg", lambda p: Image.new("CMYK", (600, 200), CMYK).save(p, quality=95),
                  (600, 200), Image.new("CMYK", (1, 1), CMYK).convert("RGB").getpixel((0, 0))),
    "svg": ("logo.svg", lambda p: p.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
        f'<rect x="0" y="0" width="300" height="100" fill="{LOGO_HEX}"/></svg>'), (300, 100), LOGO_RGB),
}


def logo_bounds(place: Placement, vector: bool):
    if vector:
        assert not place.images, "an SVG logo must be drawn as vectors, not as a raster image"
        assert place.logo_paths, "the SVG logo's shapes are not on page 1"
        return union(place.logo_paths)
    assert len(place.images) == 1, place.images
    return place.images[0][0]


def assert_fits_box(bounds, natural, box):
    width, height = bounds[2] - bounds[0], bounds[3] - bounds[1]
    assert width <= box[0] + 0.05 and height <= box[1] + 0.05, (width, height, box)
    # Scaled to the box's limiting side: as large as it may be, not a postage stamp.
    assert max(width / box[0], height / box[1]) == pytest.approx(1, abs=0.01)
    drawn, source = width / height, natural[0] / natural[1]
    assert drawn == pytest.approx(source, rel=0.03), f"aspect {drawn:.3f} drawn, {source:.3f} in the file"


def assert_on_white_card(place: Placement, bounds):
    cards = [w for w in place.white_fills if contains(w, bounds) and w[1] > place.page_height / 2
             and (w[2] - w[0]) < 4 * 72]
    assert cards, "the logo is not set on a white card in the header"


@pytest.mark.parametrize("kind", list(LOGO_FORMATS))
def test_logo_format_shows_on_page_one(tmp_path, kind):
    name, write, natural, centre_colour = LOGO_FORMATS[kind]
    folder = tmp_path / kind
    folder.mkdir()
    write(folder / name)
    pdf = build(write_school(folder, logo_school_yaml(name)), "handout")
    place = placements(pdf, 0)
    vector = kind == "svg"
    bounds = logo_bounds(place, vector)
    assert bounds[1] > place.page_height - 2 * 72, "the logo should be in the header band"
    assert_fits_box(bounds, natural, HANDOUT_BOX)
    assert_on_white_card(place, bounds)
    if not vector:  # downscaled for print: no more than 300 dpi at the drawn size
        px_w, px_h = place.images[0][1]
        width, height = bounds[2] - bounds[0], bounds[3] - bounds[1]
        assert px_w <= math.ceil(width / 72 * 300) + 1 and px_h <= math.ceil(height / 72 * 300) + 1
        assert px_w / px_h == pytest.approx(natural[0] / natural[1], rel=0.03)
    # What prints: the colours of the file (CMYK converted, not inverted; grey stays grey),
    # and transparency shows the card, never black.
    image, page_height = render(pdf, 0, 2)
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    assert near(pixel_at(image, page_height, 2, cx, cy), centre_colour, 16), \
        (pixel_at(image, page_height, 2, cx, cy), centre_colour)
    if kind == "png-rgba":
        frame = 30 / 200 * (bounds[3] - bounds[1])  # the opaque frame, in points
        edge = pixel_at(image, page_height, 2, bounds[0] + frame / 2, cy)
        assert near(edge, LOGO_RGB, 16), edge


LOGO_SHAPES = {"wide": (1000, 100), "tall": (100, 600), "square": (400, 400)}


def _write_shape(path: Path, size):
    if path.suffix == ".svg":
        w, h = size
        path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
                        f'viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="{LOGO_HEX}"/></svg>')
    else:
        Image.new("RGB", size, LOGO_RGB).save(path)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
@pytest.mark.parametrize("shape", list(LOGO_SHAPES))
def test_logo_of_any_shape_keeps_its_aspect_and_fits(tmp_path, shape, suffix):
    size = LOGO_SHAPES[shape]
    _write_shape(tmp_path / f"logo{suffix}", size)
    school = write_school(tmp_path, logo_school_yaml(f"logo{suffix}"))
    for layout, box in (("handout", HANDOUT_BOX), ("checklist", CHECKLIST_BOX)):
        place = placements(build(school, layout), 0)
        bounds = logo_bounds(place, suffix == ".svg")
        assert_fits_box(bounds, size, box)
        assert_on_white_card(place, bounds)


def test_logo_alt_is_accepted_and_kept(tmp_path):
    from guidebuilder.load import load_school

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        _write_shape(tmp_path / folder / "logo.png", (200, 100))
    given = load_school(write_school(tmp_path / "a", logo_school_yaml(
        "logo.png", extra="logo_alt: Logo Test College crest, a blue shield\n")))
    assert given.logo == "logo.png"
    assert given.logo_alt == "Logo Test College crest, a blue shield"
    default = load_school(write_school(tmp_path / "b", logo_school_yaml("logo.png")))
    # The models keep None (the "<name> logo" default is applied where alt text is written).
    assert default.logo_alt in (None, "Logo Test College logo")


# ===== 2. bad logos ===========================================================================


def _bad_missing(folder: Path):
    return "logo.png", "logo.png", ["not found"]


def _bad_corrupt(folder: Path):
    (folder / "logo.png").write_bytes(os.urandom(4096))
    return "logo.png", "logo.png", ["not a readable"]


def _bad_truncated(folder: Path):
    Image.effect_noise((400, 300), 64).convert("RGB").save(folder / "full.png")
    (folder / "logo.png").write_bytes((folder / "full.png").read_bytes()[:300])
    return "logo.png", "logo.png", ["not a readable"]


def _bad_megapixels(folder: Path):
    Image.new("1", (8000, 6000)).save(folder / "logo.png")  # 48 megapixels, a few KB on disk
    assert (folder / "logo.png").stat().st_size < 100_000
    return "logo.png", "logo.png", ["8000x6000", "megapixel"]


def _bad_bytes_png(folder: Path):
    (folder / "logo.png").write_bytes(os.urandom(11_000_000))
    return "logo.png", "logo.png", ["byte limit"]


def _bad_bytes_svg(folder: Path):
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><!-- '
                                     + "x" * 11_000_000 + ' --><rect width="100" height="50"/></svg>')
    return "logo.svg", "logo.svg", ["byte limit"]


def _bad_outside(folder: Path):
    Image.new("RGB", (200, 100), LOGO_RGB).save(folder.parent / "logo.png")
    return "../logo.png", "../logo.png", ["outside the school's folder"]


def _bad_symlink(folder: Path):
    Image.new("RGB", (200, 100), LOGO_RGB).save(folder.parent / "elsewhere.png")
    try:
        os.symlink(folder.parent / "elsewhere.png", folder / "logo.png")
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available here")
    return "logo.png", "logo.png", ["outside the school's folder"]


BAD_LOGOS = {"missing": _bad_missing, "corrupt": _bad_corrupt, "truncated": _bad_truncated,
             "over-40-megapixels": _bad_megapixels, "over-10-MB-png": _bad_bytes_png,
             "over-10-MB-svg": _bad_bytes_svg, "outside-folder": _bad_outside, "symlink-outside": _bad_symlink}


QUICK_BAD_LOGOS = ("missing", "corrupt", "outside-folder")  # the rest run outside the quick subset


@pytest.mark.parametrize("case", [c if c in QUICK_BAD_LOGOS else pytest.param(c, marks=pytest.mark.slow)
                                  for c in BAD_LOGOS])
def test_bad_logo_is_a_clear_error_not_a_crash_or_hang(tmp_path, case):
    folder = tmp_path / "bad"
    folder.mkdir()
    logo, shown, words = BAD_LOGOS[case](folder)
    write_school(folder, logo_school_yaml(logo))
    result = run_cli(["check", os.path.join("bad", "school.yaml")], tmp_path, timeout=20)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {os.path.join('bad', 'school.yaml')}:2: logo: "), lines[0]
    assert f'"{shown}"' in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    if case == "over-40-megapixels":  # the limit is on pixels, the file itself is tiny
        assert "byte" not in lines[0]
    assert result.elapsed < 20


@pytest.mark.slow
def test_svg_entity_bomb_neither_hangs_nor_crashes(tmp_path):
    entities = "".join(f'<!ENTITY e{i + 1} "{("&e%d;" % i) * 10}">\n' for i in range(9))
    (tmp_path / "bomb").mkdir()
    (tmp_path / "bomb" / "logo.svg").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY e0 "lollollollol">\n{entities}]>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="200" height="50" '
        f'fill="{LOGO_HEX}"/><text x="2" y="30">&e9;</text></svg>')
    write_school(tmp_path / "bomb", logo_school_yaml("logo.svg"))
    result = run_cli(["build", "--school", os.path.join("bomb", "school.yaml"), "--layout", "checklist",
                      "--out", "out"], tmp_path, timeout=20)
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert "logo" in result.stderr


def test_check_a_school_file_in_the_working_folder(tmp_path, monkeypatch):
    _write_shape(tmp_path / "logo.png", (200, 100))
    write_school(tmp_path, logo_school_yaml("logo.png"))
    monkeypatch.chdir(tmp_path)
    result = invoke(["check", "school.yaml"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok")


# ===== 3. fonts ===============================================================================


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_summit_ridge_embeds_lato_and_no_source_sans(built, layout):
    doc = built("summit-ridge", layout, "letter")
    names = set()
    for page in doc.pages:
        for _, font in fonts_of(page):
            names.add(base_font_name(font))
            descriptor = font.get("/FontDescriptor")
            assert descriptor is not None and "/FontFile2" in descriptor.get_object(), \
                f"{base_font_name(font)} is not an embedded TrueType font"
    assert names, "no fonts found"
    assert all("Lato" in n for n in names), names
    assert not any("SourceSans" in n for n in names), names
    assert {"Lato-Regular", "Lato-Bold"} <= names
    if layout == "handout":
        assert "Lato-Italic" in names  # *insurance coding* on page 1


def _regular_only_school(folder: Path) -> Path:
    (folder / "fonts").mkdir(parents=True)
    shutil.copy(LATO / "Lato-Regular.ttf", folder / "fonts" / "Lato-Regular.ttf")
    return write_school(folder, f'name: Regular Only College\ncolors:\n  primary: "{BRAND}"\n'
                                f'fonts:\n  regular: fonts/Lato-Regular.ttf\n')


def _embedded_font_names(pdf: bytes) -> set[str]:
    return {base_font_name(f) for page in reader_of(pdf).pages for _, f in fonts_of(page)}


def test_regular_font_only_warns_and_regular_stands_in(tmp_path):
    # A fresh process: what a user sees (see the next test for why that matters).
    _regular_only_school(tmp_path / "content" / "schools" / "regular-only")
    result = run_cli(["build", "--school", "regular-only", "--out", "out"], tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    for style in ("bold", "italic", "bold italic"):
        assert any(f"no {style} font given" in w and "Lato-Regular.ttf stands in" in w for w in warnings), \
            (style, result.stderr)
    pdfs = sorted((tmp_path / "out" / "regular-only").glob("*.pdf"))
    assert len(pdfs) == 2
    for pdf in pdfs:
        assert _embedded_font_names(pdf.read_bytes()) == {"Lato-Regular"}


def test_font_family_does_not_leak_between_schools_in_one_process(tmp_path):
    summit = build(school_file("summit-ridge"), "handout")
    assert {"Lato-Regular", "Lato-Bold", "Lato-Italic"} <= _embedded_font_names(summit)
    from guidebuilder.errors import collecting_notes

    with collecting_notes() as notes:
        regular_only = build(_regular_only_school(tmp_path / "regular-only"), "handout")
    assert any("stands in" in str(n) for n in notes), notes
    assert _embedded_font_names(regular_only) == {"Lato-Regular"}


def _font_school(folder: Path, font_name: str) -> Path:
    return write_school(folder, f'name: Font Test College\ncolors:\n  primary: "{BRAND}"\n'
                                f'fonts:\n  regular: {font_name}\n')


def test_cff_otf_font_is_refused_naming_the_file_and_truetype(tmp_path, monkeypatch):
    otf = source_sans_dir() / "SourceSansPro-Regular.otf"
    assert otf.is_file()
    (tmp_path / "otf").mkdir()
    shutil.copy(otf, tmp_path / "otf" / "SourceSansPro-Regular.otf")
    _font_school(tmp_path / "otf", "SourceSansPro-Regular.otf")
    monkeypatch.chdir(tmp_path)
    where = os.path.join("otf", "school.yaml")
    for args in (["check", where], ["build", "--school", where, "--out", "out"]):
        result = invoke(args)
        assert_clean_exit_2(result)
        assert f"{where}:5: fonts.regular:" in result.stderr
        assert "SourceSansPro-Regular.otf" in result.stderr and "TrueType" in result.stderr
        assert ".ttf" in result.stderr  # says which format works
    assert not (tmp_path / "out").exists()


def _random_font(path: Path):
    path.write_bytes(os.urandom(5000))


def _truncated_font(path: Path):
    path.write_bytes((LATO / "Lato-Regular.ttf").read_bytes()[:3000])  # a real header, cut short


@pytest.mark.parametrize("write", [
    pytest.param(_random_font, id="random-bytes"),
    pytest.param(_truncated_font, id="truncated-ttf"),
])
def test_corrupt_font_is_a_clear_error(tmp_path, monkeypatch, write):
    (tmp_path / "brand").mkdir()
    write(tmp_path / "brand" / "Brand-Regular.ttf")
    _font_school(tmp_path / "brand", "Brand-Regular.ttf")
    monkeypatch.chdir(tmp_path)
    where = os.path.join("brand", "school.yaml")
    result = invoke(["check", where])
    assert_clean_exit_2(result)
    assert f"{where}:5: fonts.regular:" in result.stderr and "Brand-Regular.ttf" in result.stderr
    assert "TrueType" in result.stderr


def test_missing_glyph_is_reported_with_key_and_line(tmp_path, monkeypatch):
    write_school(tmp_path / "beijing", f'colors:\n  primary: "{BRAND}"\nname: "北京 College"\n')
    monkeypatch.chdir(tmp_path)
    where = os.path.join("beijing", "school.yaml")
    result = invoke(["build", "--school", where, "--out", "out"])
    assert_clean_exit_2(result)
    assert f"{where}:3: name:" in result.stderr
    assert "has no glyph" in result.stderr and "U+5317" in result.stderr and "U+4EAC" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("reference", ["&#x2603;", "&#9731;", "\u2603"])
def test_a_character_the_layout_adds_must_be_in_the_font(tmp_path, monkeypatch, reference):
    """Text a layout writes itself (also as a character reference) is checked like content."""
    layouts = tmp_path / "layouts"
    shutil.copytree(REPO / "layouts", layouts)
    handout = layouts / "handout.xml.j2"
    text = handout.read_text(encoding="utf-8")
    handout.write_text(text.replace("</document>", f"<p>Snow {reference}</p>\n</document>"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(["build", "--layout", "handout", "--out", "out"])
    assert_clean_exit_2(result)
    assert "handout.xml.j2: " in result.stderr and "has no glyph" in result.stderr and "U+2603" in result.stderr
    assert not (tmp_path / "out").exists()


def test_characters_in_a_layout_comment_are_not_checked(tmp_path, monkeypatch):
    layouts = tmp_path / "layouts"
    shutil.copytree(REPO / "layouts", layouts)
    handout = layouts / "handout.xml.j2"
    text = handout.read_text(encoding="utf-8")
    handout.write_text(text.replace("</document>", "<!-- not printed: \u2603 &#x110000; -->\n</document>"),
                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(["build", "--layout", "handout", "--out", "out"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "default" / "medical-coder-handout.pdf").is_file()


def _impostor_school(folder: Path) -> Path:
    """A copy of summit-ridge whose Lato files carry the internal (PostScript) names of the
    default Source Sans Pro faces: other fonts that ReportLab would take for the same ones."""
    from fontTools.ttLib import TTFont as FontFile

    shutil.copytree(CONTENT / "schools" / "summit-ridge", folder)
    names = {"Lato-Regular": "SourceSansPro-Regular", "Lato-Bold": "SourceSansPro-Semibold",
             "Lato-Italic": "SourceSansPro-It", "Lato-BoldItalic": "SourceSansPro-SemiboldIt"}
    for lato, source_sans in names.items():
        path = folder / "fonts" / f"{lato}.ttf"
        font = FontFile(path)
        for record in font["name"].names:
            if record.nameID == 6:
                record.string = source_sans
        font.save(path)
        assert FontFile(path)["name"].getDebugName(6) == source_sans
    return folder / "school.yaml"


@pytest.mark.slow
def test_two_fonts_with_one_internal_name_each_print_as_themselves(tmp_path):
    """ReportLab's registerFont hands a font the object of the first font with the same internal
    name; a school's own fonts must never print with another school's (or the default) files."""
    school = _impostor_school(tmp_path / "impostor")
    script = ("import hashlib, sys\n"
              "from guidebuilder.pipeline import build_pdf, load_inputs\n"
              "for s in sys.argv[1:]:\n"
              "    pdf = build_pdf(load_inputs(None, s), 'handout')\n"
              "print(hashlib.sha256(pdf).hexdigest())\n")

    def last_digest(*schools):
        done = subprocess.run([sys.executable, "-c", script, *map(str, schools)], cwd=REPO, capture_output=True,
                              text=True, check=True)
        return done.stdout.strip()

    alone = last_digest(school)
    assert last_digest("default", school) == alone, "after the default family, the look-alike printed as it"
    assert last_digest("default") != alone


def test_a_worker_keeps_only_the_recently_used_fonts_registered(tmp_path, monkeypatch):
    """A batch worker meets every school's fonts; it must not hold all of them for ever."""
    from reportlab.pdfbase import pdfmetrics

    from guidebuilder.render import fonts
    from guidebuilder.pipeline import build_pdf, load_inputs

    monkeypatch.setattr(fonts, "MAX_REGISTERED_FONTS", 8)
    original = (source_sans_dir() / "SourceSansPro-Regular.ttf").read_bytes()
    names = []
    for i in range(12):  # twelve different files (the same font with other trailing bytes)
        path = tmp_path / f"Font{i}.ttf"
        path.write_bytes(original + bytes([i]) * 4)
        names.append(fonts.register_font(path))
    assert len(set(names)) == 12 and len(fonts._registered) <= 8
    assert not any(name in pdfmetrics._fonts for name in names[:4]), "the oldest were let go"
    assert all(name in pdfmetrics._fonts for name in names[-4:])
    assert fonts.register_font(tmp_path / "Font0.ttf") == names[0] and names[0] in pdfmetrics._fonts
    assert build_pdf(load_inputs(None, "default"), "checklist").startswith(b"%PDF")  # its family comes back


def test_latin_extended_name_prints_with_the_default_font(tmp_path):
    school = write_school(tmp_path / "gyor", f'name: Győr Technical College\ncolors:\n  primary: "{BRAND}"\n')
    for layout in ("handout", "checklist"):
        text = "\n".join(p.extract_text() or "" for p in reader_of(build(school, layout)).pages)
        assert "Győr" in text
        assert contains_text(text, "Győr Technical College")


# ===== 4. readable colours =====================================================================


def _logo_text_and_the_rest(chars):
    printed = [c for c in chars if c.fill and not c.char.isspace()]
    logo = "".join(sorted(c.char for c in printed if c.scaled))
    return logo, [c for c in printed if not c.scaled]



@pytest.mark.parametrize("school, layout", [
    ("summit-ridge", "handout"), ("summit-ridge", "checklist"),
    ("yellow", "handout"),
    ("yellow", "checklist"),
])
def test_every_text_colour_meets_wcag_aa_on_its_background(built, yellow, school, layout):
    """Page 1 of the handout and the checklist: each character's fill colour against the colour
    rendered around it (the paper, a tint, the brand band, a step badge) reaches 4.5:1, or 3:1
    for large text (18 pt, or 14 pt bold). Text inside the logo drawing (a logotype) is exempt."""
    from guidebuilder.render.colours import contrast

    pdf = pdf_of(built, yellow, school, layout)
    logo_text, chars = _logo_text_and_the_rest(chars_of(pdf, 0))
    assert logo_text == ("".join(sorted("SUMMITRIDGECAREERACADEMY")) if school == "summit-ridge" else "")
    assert len(chars) > 500
    brand = "#F2B705" if school == "summit-ridge" else "#FFFF00"
    assert any(c.background == brand for c in chars), "no text found on the brand band"
    failures = collections.defaultdict(str)
    for c in chars:
        ratio = contrast(c.fill, c.background)
        if ratio < minimum_contrast(c) - 0.02:  # 0.02: rendering rounds colours to 8 bits
            failures[(c.fill, c.background, round(c.size, 1), c.weight, round(ratio, 2))] += c.char
    assert not failures, "\n".join(f"{k}: {v[:40]}" for k, v in failures.items())


@pytest.mark.parametrize("school, brand", [("summit-ridge", "#F2B705"), ("yellow", "#FFFF00")])
def test_heading_colour_is_a_darker_shade_of_a_failing_brand(built, yellow, school, brand):
    from guidebuilder.render.colours import contrast, luminance

    assert contrast(brand, WHITE) < 3
    page = chars_of(pdf_of(built, yellow, school, "handout"), 0)
    chars = chars_of_text(page, HEADING)
    colours = {c.fill for c in chars}
    assert len(colours) == 1, colours
    heading = colours.pop()
    assert heading != brand
    assert luminance(heading) < luminance(brand)
    assert contrast(heading, WHITE) >= 3.0  # at least the large-text minimum
    # The brand colour itself is kept for fills (the band behind the title).
    assert any(c.background == brand for c in page)


def _check_notes(target) -> list[str]:
    result = invoke(["check", str(target)])
    assert result.exit_code == 0, (result.output, result.stderr)
    return [line.split("contrast:", 1)[1].strip() for line in result.stdout.splitlines() if "contrast:" in line]


NOTE = re.compile(r"^(?P<role>[\w ]+?) text: (?P<wanted>#[0-9A-F]{6}) on (?P<where>.+?) is (?P<before>[\d.]+):1 "
                  r"\(needs (?P<needs>[\d.]+):1\); using (?P<used>#[0-9A-F]{6}) \((?P<after>[\d.]+):1\)")


@pytest.mark.parametrize("school", ["summit-ridge", "yellow"])
def test_section_heading_reaches_4_5_to_1_and_is_the_colour_check_reports(built, yellow, monkeypatch, school):
    from guidebuilder.render.colours import contrast

    monkeypatch.chdir(REPO)
    target = yellow["file"] if school == "yellow" else school_file(school)
    notes = {m["role"]: m for m in map(NOTE.match, _check_notes(target)) if m}
    chars = chars_of_text(chars_of(pdf_of(built, yellow, school, "handout"), 0), HEADING)
    heading = {c.fill for c in chars}.pop()
    assert contrast(heading, WHITE) >= 4.5, f"{heading} is {contrast(heading, WHITE):.2f}:1 on white"
    assert heading == notes["heading"]["used"]


def test_check_prints_the_contrast_ratio_and_the_replacement(monkeypatch, built):
    from guidebuilder.render.colours import contrast

    monkeypatch.chdir(REPO)
    notes = _check_notes(Path("content") / "schools" / "summit-ridge")
    matches = [NOTE.match(n) for n in notes]
    assert notes and all(matches), notes
    roles = {m["role"]: m for m in matches}
    assert {"heading", "link"} <= set(roles)
    for m in matches:
        assert m["wanted"] == "#F2B705"
        assert m["used"] != m["wanted"]
        assert float(m["after"]) >= float(m["needs"])
        if m["where"] == "white":
            assert m["before"] == f"{contrast('#F2B705', WHITE):.1f}" == "1.8"
            assert contrast(m["used"], WHITE) >= float(m["needs"])
    assert "fills keep #F2B705" in notes[0]
    # The replacement named for links is the colour the checklist's links are printed in.
    email = chars_of_text(chars_of(built("summit-ridge", "checklist", "letter").data, 0),
                          "futures@summitridge.example.edu")
    assert {c.fill for c in email} == {roles["link"]["used"]}
    # A readable brand gets no notes.
    assert _check_notes(Path("content") / "schools" / "lakeside") == []


# ===== 5. QR codes ============================================================================


def _qr_cases():
    from guidebuilder.load import load_school

    lakeside, summit = load_school(school_file("lakeside")), load_school(school_file("summit-ridge"))
    slow = pytest.mark.slow  # the quick subset scans one code: lakeside's, on the handout
    return [pytest.param("lakeside", lakeside.program.url, id="lakeside-program"),
            pytest.param("summit-ridge", summit.program.url, id="summit-ridge-long-query", marks=slow),
            pytest.param("yellow", "https://yellow-valley.example.edu/careers", id="website-only", marks=slow)]


@pytest.mark.parametrize("layout", ["handout", pytest.param("checklist", marks=pytest.mark.slow)])
@pytest.mark.parametrize("school, url", _qr_cases())
def test_qr_code_scans_to_the_school_url(built, yellow, school, url, layout):
    if school == "summit-ridge":
        assert "?utm_" in url and "&" in url  # a long URL with a query string
    pdf = pdf_of(built, yellow, school, layout)
    scale = 4
    codes, image = decode_qr(pdf, -1, scale)
    assert len(codes) == 1, [c.text for c in codes]
    code = codes[0]
    assert code.text == url
    # The address people type is printed on the same page: the URL without its scheme and
    # without the query string (tracking parameters live in the QR code and the link).
    reader = reader_of(pdf)
    page_text = reader.pages[len(reader.pages) - 1].extract_text()
    typed = re.split(r"[?#]", re.sub(r"^https?://", "", url), maxsplit=1)[0].rstrip("/")
    assert contains_text(page_text, typed)
    if "?" in url:
        assert "utm_source" not in page_text.replace("\n", "")
    # At least 0.8 in wide with its quiet zone (4 modules each side), and the quiet zone is white.
    corners = [code.position.top_left, code.position.top_right, code.position.bottom_right,
               code.position.bottom_left]
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    side = (max(xs) - min(xs) + max(ys) - min(ys)) / 2 / scale  # in points
    assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), rel=0.03)
    modules = 17 + 4 * int(code.extra["Version"]) if "Version" in code.extra else None
    if modules is None:
        import segno

        modules = segno.make(url, error="m", micro=False).symbol_size(border=0)[0]
    module = side / modules
    assert (modules + 8) * module >= 0.8 * 72 - 0.5, f"{(modules + 8) * module / 72:.2f} in with quiet zone"
    grey = image.convert("L")
    for k in range(1, 8):  # from half a module to 3.5 modules outside the code, on every side
        d = (0.5 + k * 3 / 8) * module * scale
        for x, y in ((min(xs) - d, (min(ys) + max(ys)) / 2), (max(xs) + d, (min(ys) + max(ys)) / 2),
                     ((min(xs) + max(xs)) / 2, min(ys) - d), ((min(xs) + max(xs)) / 2, max(ys) + d)):
            assert grey.getpixel((int(x), int(y))) >= 245, ("quiet zone not white", x, y)


# ===== 6. scaffolding ==========================================================================


def _logo_png(path: Path) -> Path:
    Image.new("RGB", (240, 80), LOGO_RGB).save(path)
    return path


NEW_NAME = "Lakeside Community College"
NEW_SLUG = "lakeside-community-college"


def test_new_school_scaffold_builds_without_edits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logo = _logo_png(tmp_path / "brand-logo.png")
    result = invoke(["new-school", NEW_NAME, "--logo", str(logo), "--primary", "#0B4F6C"])
    assert result.exit_code == 0, (result.output, result.stderr)
    folder = tmp_path / "content" / "schools" / NEW_SLUG
    text = (folder / "school.yaml").read_text(encoding="utf-8")
    for optional in ("# program:", "# event:", "# fonts:", "# contact:", "# tagline:", "# short_name:"):
        assert optional in text, optional
    assert f'name: "{NEW_NAME}"' in text or f"name: {NEW_NAME}" in text
    assert "#0B4F6C" in text
    assert (folder / "logo.png").read_bytes() == logo.read_bytes()
    assert f"guidebuilder build --school {NEW_SLUG}" in result.stdout

    from guidebuilder.load import load_school

    school = load_school(folder / "school.yaml")
    assert (school.name, school.logo, school.colors.primary) == (NEW_NAME, "logo.png", "#0B4F6C")

    result = invoke(["build", "--school", NEW_SLUG, "--out", "out"])
    assert result.exit_code == 0, (result.output, result.stderr)
    pdfs = sorted((tmp_path / "out" / NEW_SLUG).glob("*.pdf"))
    assert [p.name for p in pdfs] == ["medical-coder-checklist.pdf", "medical-coder-handout.pdf"]
    handout = reader_of(pdfs[1].read_bytes())
    assert contains_text(handout.pages[0].extract_text(), "How to Become a Medical Coder")
    assert len(placements(pdfs[1].read_bytes(), 0).images) == 1  # the copied logo is on page 1


def test_new_school_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["new-school", NEW_NAME, "--logo", str(_logo_png(tmp_path / "brand-logo.png")), "--primary", "#0B4F6C"]
    assert invoke(args).exit_code == 0
    folder = tmp_path / "content" / "schools" / NEW_SLUG
    path = folder / "school.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# my edits\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = invoke(args)
    assert_clean_exit_2(result)
    assert "already exists" in result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("colour", ["#12345", "not-a-colour", "#GGHHII"])
def test_new_school_bad_primary_is_refused(tmp_path, monkeypatch, colour):
    monkeypatch.chdir(tmp_path)
    result = invoke(["new-school", NEW_NAME, "--primary", colour])
    assert_clean_exit_2(result)
    assert "--primary" in result.stderr and colour in result.stderr
    assert not (tmp_path / "content" / "schools" / NEW_SLUG).exists()


def test_schools_lists_each_school_with_its_status(tmp_path, monkeypatch):
    from guidebuilder.load.locations import all_school_files

    monkeypatch.chdir(tmp_path)
    assert invoke(["new-school", "Good Harbor College"]).exit_code == 0
    write_school(tmp_path / "content" / "schools" / "broken", 'name: Broken College\ncolors:\n  primry: "#123"\n')
    result = invoke(["schools"])
    assert result.exit_code == 0, (result.output, result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    slugs = [p.parent.name for p in all_school_files()]
    # Her own schools only: the built-in samples are not mixed in (issue 11, item 1).
    assert set(slugs) == {"good-harbor-college", "broken"}
    assert [line.split()[0] for line in lines] == slugs  # one line each
    status = {line.split()[0]: line.split()[1] for line in lines}
    assert set(status.values()) <= {"ok", "invalid"}
    assert status["broken"] == "invalid"
    assert status["good-harbor-college"] == "ok"
    broken = next(line for line in lines if line.startswith("broken"))
    assert "primry" in broken or "primary" in broken
