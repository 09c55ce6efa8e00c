"""Print-shop and interactive output (issue 5): page boxes, bleed and crop marks, the safe area,
fillable checklists, clickable links and the tri-fold brochure.

Documents are built through the real command line (click's CliRunner, in process) so the
options (--print, --bleed, --crop-marks, --no-fields, --layout brochure) are what is tested.
Each (school, layout, page size, options) is built once per session. Page boxes, link and
form-field dictionaries are read with pypdf; content streams are interpreted for line
segments; pages are rendered and their characters located with pypdfium2 (which also
renders form fields, as a viewer would).
"""

from __future__ import annotations

import gc
import io
import itertools
import math
import re
from functools import cached_property
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream

from pdfhelpers import (LAYOUTS, PAGE_POINTS, REPO, SIZES, cli_runner, guide_data, resolve, school_file,
                        squash, working_dir, write_guide)

INCH = 72.0
BLEED = 0.125 * INCH            # what --print uses
MARK_ROOM = 0.375 * INCH        # paper beyond the bleed that holds the crop marks
MARK_LENGTH = 0.25 * INCH
SAFE = 0.25 * INCH              # README: text and logos stay at least 0.25 in inside the trim
FOLD_CLEARANCE = 0.2 * INCH
MM = 72 / 25.4
BROCHURE_SCHOOLS = ("default", "lakeside", "riverbend", "summit-ridge")
LAKESIDE_PRIMARY = (0x0B, 0x4F, 0x6C)


# ---- building through the command line ----------------------------------------------------


def run_cli(args):
    """`guidebuilder ARGS` in process, from the repository (where content/ and layouts/ are).
    `build` switches the garbage collector off for a short run: switch it back on after."""
    from guidebuilder.cli import main

    enabled = gc.isenabled()
    try:
        with working_dir(REPO):
            return cli_runner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        if enabled:
            gc.enable()


class Doc:
    """One built PDF: its bytes, a pypdf reader and a pypdfium2 document."""

    def __init__(self, path: Path):
        self.path = path
        self.data = path.read_bytes()

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.data))

    @cached_property
    def pdfium(self):
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(self.data)

    @property
    def pages(self):
        return self.reader.pages


@pytest.fixture(scope="session")
def cli_build(tmp_path_factory):
    """cli_build(school, layout, *options, size="letter") -> Doc, built once per session with
    `guidebuilder build --school SCHOOL --layout LAYOUT --page-size SIZE OPTIONS`."""
    folder = tmp_path_factory.mktemp("print")
    counter = itertools.count()
    cache: dict = {}

    def get(school: str, layout: str, *options: str, size: str = "letter") -> Doc:
        key = (school, layout, size, options)
        if key not in cache:
            out = folder / f"run-{next(counter)}"
            result = run_cli(["build", "--school", school, "--layout", layout, "--page-size", size,
                              "--out", out, *options])
            assert result.exit_code == 0, (result.output, result.stderr, result.exception)
            cache[key] = Doc(out / school / f"medical-coder-{layout}.pdf")
        return cache[key]

    return get


# ---- helpers: boxes, geometry, content streams -----------------------------------------------


def box(value) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


def page_box(page, name: str):
    raw = page.get(name)
    return box(resolve(raw)) if raw is not None else None


def grown(rect, by: float):
    x0, y0, x1, y1 = rect
    return x0 - by, y0 - by, x1 + by, y1 + by


def trim_of(page):
    """The TrimBox, or the MediaBox of a page without one (screen output)."""
    return page_box(page, "/TrimBox") or box(page.mediabox)


def near_box(a, b, tol=0.01) -> bool:
    return a is not None and b is not None and all(abs(x - y) <= tol for x, y in zip(a, b))


def _multiply(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def segments(reader, page) -> list[tuple[tuple[float, float, float, float], bool]]:
    """Every straight segment a `m` ... `l` path draws in the page's own content stream, in page
    coordinates (current transformation matrix applied), with whether a dash pattern was set."""
    ops = ContentStream(page.get_contents(), reader).operations
    ctm, dashed, stack = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), False, []
    current, found = None, []

    def point(x, y):
        a, b, c, d, e, f = ctm
        return a * x + c * y + e, b * x + d * y + f

    for operands, op in ops:
        if op == b"q":
            stack.append((ctm, dashed))
        elif op == b"Q":
            ctm, dashed = stack.pop() if stack else (ctm, dashed)
        elif op == b"cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif op == b"d":
            dashed = len(operands[0]) > 0
        elif op == b"m":
            current = point(float(operands[0]), float(operands[1]))
        elif op == b"l" and current is not None:
            end = point(float(operands[0]), float(operands[1]))
            found.append(((*current, *end), dashed))
            current = end
        elif op in (b"re", b"c", b"v", b"y", b"h", b"n", b"S", b"f", b"f*", b"B", b"b"):
            current = None if op != b"h" else current
    return found


def length(seg) -> float:
    x0, y0, x1, y1 = seg
    return math.hypot(x1 - x0, y1 - y0)


def outside(seg, rect, tol=0.01) -> bool:
    """The segment does not reach into `rect` (an axis-aligned segment, as marks are)."""
    x0, y0, x1, y1 = seg
    l, b, r, t = rect
    return (max(x0, x1) <= l + tol or min(x0, x1) >= r - tol
            or max(y0, y1) <= b + tol or min(y0, y1) >= t - tol)


def inside(seg, rect, tol=0.01) -> bool:
    x0, y0, x1, y1 = seg
    l, b, r, t = rect
    return all(l - tol <= x <= r + tol for x in (x0, x1)) and all(b - tol <= y <= t + tol for y in (y0, y1))


def crop_marks(reader, page) -> list:
    """Solid segments 0.25 in long that lie wholly outside the BleedBox (and so the TrimBox)."""
    bleed = page_box(page, "/BleedBox") or trim_of(page)
    return [seg for seg, dashed in segments(reader, page)
            if not dashed and abs(length(seg) - MARK_LENGTH) < 0.01 and outside(seg, bleed)]


# ---- helpers: pdfium ---------------------------------------------------------------------------


def chars_of(doc: Doc, index: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(character, (left, bottom, right, top)) of every drawn, non-blank character of a page."""
    textpage = doc.pdfium[index].get_textpage()
    text = textpage.get_text_range()
    out = []
    for i in range(textpage.count_chars()):
        char = text[i] if i < len(text) else textpage.get_text_range(i, 1)
        if char.isspace() or char == "\x00":
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        if right - left <= 0 and top - bottom <= 0:
            continue
        out.append((char, (left, bottom, right, top)))
    return out


def render(doc: Doc, index: int, scale: float, forms: bool = False):
    """A page as a PIL RGB image (form fields drawn when `forms`), and the page height in pt."""
    page = doc.pdfium[index]
    image = page.render(scale=scale, may_draw_forms=forms).to_pil().convert("RGB")
    return image, page.get_height()


def pixel(image, page_height, scale, x, y):
    return image.getpixel((int(x * scale), int((page_height - y) * scale)))


def close(colour, want, tol=6) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(colour, want))


def crop(image, page_height, scale, rect):
    x0, y0, x1, y1 = rect
    return image.crop((round(x0 * scale), round((page_height - y1) * scale),
                       round(x1 * scale), round((page_height - y0) * scale)))


def darkness(image) -> float:
    """Mean darkness (0 white .. 255 black) of an image region."""
    grey = image.convert("L")
    histogram = grey.histogram()
    total = sum(histogram)
    return sum((255 - level) * count for level, count in enumerate(histogram)) / max(1, total)


# ===== 1. page boxes ============================================================================


PRINT_CASES = {
    # options: (bleed, crop marks)
    ("--print",): (BLEED, True),
    ("--bleed", "3mm"): (3 * MM, False),
    ("--crop-marks",): (0.0, True),
    ("--bleed", "0.125in", "--crop-marks"): (BLEED, True),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_print_mode_page_boxes(cli_build, layout, size):
    """--print: the sheet grows by 0.125 in of bleed and 0.375 in of room for the marks on every
    side; the TrimBox is the trimmed page placed there, the BleedBox the trim grown by 9 pt."""
    doc = cli_build("lakeside", layout, "--print", size=size)
    width, height = PAGE_POINTS[size]
    off = BLEED + MARK_ROOM
    assert off == 36
    for n, page in enumerate(doc.pages, 1):
        media, trim, bleed = box(page.mediabox), page_box(page, "/TrimBox"), page_box(page, "/BleedBox")
        assert near_box(media, (0, 0, width + 2 * off, height + 2 * off)), (n, media)
        assert near_box(trim, (off, off, off + width, off + height)), (n, trim)
        assert near_box(bleed, grown(trim, 9.0)), (n, bleed, trim)
        if size == "letter":
            assert near_box(media, (0, 0, 684, 864)) and near_box(trim, (36, 36, 648, 828))
            assert near_box(bleed, (27, 27, 657, 837))
        crop_box = page_box(page, "/CropBox")
        assert crop_box is None or near_box(crop_box, media), "a CropBox would hide the marks"


@pytest.mark.parametrize("options", [o for o in PRINT_CASES if o != ("--print",)], ids=" ".join)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bleed_and_crop_marks_alone_set_the_boxes_they_imply(cli_build, layout, options):
    """--bleed alone: the sheet is the trim plus the bleed, the trim sits `bleed` in and the
    BleedBox is the whole sheet. --crop-marks alone: room for marks, no bleed."""
    bleed_pt, marks = PRINT_CASES[options]
    off = bleed_pt + (MARK_ROOM if marks else 0)
    width, height = PAGE_POINTS["letter"]
    doc = cli_build("lakeside", layout, *options)
    for n, page in enumerate(doc.pages, 1):
        media, trim, bleed = box(page.mediabox), page_box(page, "/TrimBox"), page_box(page, "/BleedBox")
        assert near_box(media, (0, 0, width + 2 * off, height + 2 * off)), (n, media)
        assert near_box(trim, (off, off, off + width, off + height)), (n, trim)
        assert near_box(bleed, grown(trim, bleed_pt)), (n, bleed)
        if not marks:
            assert near_box(bleed, media)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_screen_output_has_no_print_boxes(cli_build, layout, size):
    doc = cli_build("lakeside", layout, size=size)
    width, height = PAGE_POINTS[size]
    for page in doc.pages:
        media = box(page.mediabox)
        assert near_box(media, (0, 0, width, height)), media
        for name in ("/TrimBox", "/BleedBox"):
            value = page_box(page, name)
            assert value is None or near_box(value, media), (name, value)


# ===== 2. bands run into the bleed ================================================================


def test_brand_bands_run_into_the_bleed_and_stop_at_the_bleed_box(cli_build):
    """Page 1's hero band and page 2's running-header band are printed through the bleed (so a
    slightly off cut shows no white sliver); beyond the BleedBox the sheet stays white."""
    doc = cli_build("lakeside", "handout", "--print")
    scale = 2.0
    for index in (0, 1):
        page = doc.pages[index]
        x0, y0, x1, y1 = trim_of(page)
        bx0, by0, bx1, by1 = page_box(page, "/BleedBox")
        image, height = render(doc, index, scale)
        in_bleed_top = (y1 + by1) / 2
        beyond_bleed_top = (by1 + box(page.mediabox)[3]) / 2
        for x in range(int(x0) + 30, int(x1) - 30, 20):
            assert close(pixel(image, height, scale, x, in_bleed_top), LAKESIDE_PRIMARY), \
                (index, x, "top bleed", pixel(image, height, scale, x, in_bleed_top))
            assert close(pixel(image, height, scale, x, beyond_bleed_top), (255, 255, 255), 2), \
                (index, x, "beyond the bleed box")
        # The sides of the band bleed too, just as far.
        for y in range(int(y1) - 20, int(y1) - 4, 4):
            for x in ((x0 + bx0) / 2, (x1 + bx1) / 2):
                assert close(pixel(image, height, scale, x, y), LAKESIDE_PRIMARY), (index, x, y, "side bleed")
            for x in (bx0 / 2, (bx1 + box(page.mediabox)[2]) / 2):
                assert close(pixel(image, height, scale, x, y), (255, 255, 255), 2), (index, x, y, "mark room")


# ===== 3. crop marks and fold marks ===============================================================


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layout", [*LAYOUTS, "brochure"])
def test_crop_marks_sit_outside_the_trim_and_bleed(cli_build, layout, size):
    """Eight marks per page, two per corner, each in line with a trim edge, 0.25 in long,
    wholly outside the TrimBox and the BleedBox and on the sheet."""
    doc = cli_build("lakeside", layout, "--print", size=size)
    for n, page in enumerate(doc.pages, 1):
        trim, bleed, media = trim_of(page), page_box(page, "/BleedBox"), box(page.mediabox)
        marks = crop_marks(doc.reader, page)
        assert len(marks) == 8, (n, marks)
        corners = set()
        for seg in marks:
            assert outside(seg, trim) and outside(seg, bleed) and inside(seg, media), (n, seg)
            sx0, sy0, sx1, sy1 = seg
            if abs(sy0 - sy1) < 0.01:  # horizontal: on the line of the top or bottom trim edge
                edge = min((trim[1], trim[3]), key=lambda y: abs(y - sy0))
                assert abs(edge - sy0) < 0.01, (n, seg)
                corners.add(("h", edge, "left" if sx1 <= bleed[0] else "right"))
            else:
                assert abs(sx0 - sx1) < 0.01, (n, seg, "marks are horizontal or vertical")
                edge = min((trim[0], trim[2]), key=lambda x: abs(x - sx0))
                assert abs(edge - sx0) < 0.01, (n, seg)
                corners.add(("v", edge, "below" if sy1 <= bleed[1] else "above"))
        assert len(corners) == 8, (n, sorted(corners))


@pytest.mark.parametrize("options", [(), ("--bleed", "3mm")], ids=["screen", "bleed-only"])
@pytest.mark.parametrize("layout", [*LAYOUTS, "brochure"])
def test_no_crop_marks_without_the_option(cli_build, layout, options):
    doc = cli_build("lakeside", layout, *options)
    for n, page in enumerate(doc.pages, 1):
        trim = trim_of(page)
        strays = [seg for seg, _ in segments(doc.reader, page) if outside(seg, trim)]
        assert not strays, (n, strays)


@pytest.mark.parametrize("size", SIZES)
def test_brochure_fold_marks_are_dashed_outside_the_trim_at_the_folds(cli_build, size):
    from guidebuilder.pdf.geometry import fold_lines

    doc = cli_build("lakeside", "brochure", "--print", size=size)
    assert len(doc.pages) == 2
    for n, page in enumerate(doc.pages, 1):
        trim, bleed = trim_of(page), page_box(page, "/BleedBox")
        folds = [trim[0] + x for x in fold_lines(trim[2] - trim[0], n)]
        assert len(folds) == 2
        dashed = [seg for seg, is_dashed in segments(doc.reader, page) if is_dashed and outside(seg, trim)]
        assert len(dashed) == 4, (n, dashed)
        found = set()
        for seg in dashed:
            sx0, sy0, sx1, sy1 = seg
            assert abs(sx0 - sx1) < 0.01, (n, seg, "fold marks are vertical")
            assert outside(seg, bleed), (n, seg)
            assert abs(length(seg) - MARK_LENGTH) < 0.01, (n, seg)
            fold = min(folds, key=lambda x: abs(x - sx0))
            assert abs(fold - sx0) < 0.01, (n, seg, folds)
            found.add((round(fold, 2), "above" if sy0 >= trim[3] else "below"))
        assert found == {(round(x, 2), side) for x in folds for side in ("above", "below")}, (n, found)


# ===== 4. the safe area ============================================================================



@pytest.mark.parametrize("school", ["lakeside", "riverbend"])
@pytest.mark.parametrize("layout, pages", [
    ("handout", "first"),
    ("handout", "later"),
    ("checklist", "all"),
    ("brochure", "all"),
])
def test_text_and_logos_stay_a_quarter_inch_inside_the_trim(cli_build, school, layout, pages):
    """Every character's box (logo lettering included) and every image (a raster logo) lies at
    least 0.25 in inside the TrimBox, on every page."""
    import pypdfium2.raw as raw

    doc = cli_build(school, layout, "--print")
    indexes = {"first": [0], "later": list(range(1, len(doc.pages))), "all": list(range(len(doc.pages)))}[pages]
    assert indexes
    problems = []
    for index in indexes:
        safe = grown(trim_of(doc.pages[index]), -SAFE)
        placed = chars_of(doc, index)
        placed += [("<image>", tuple(obj.get_bounds())) for obj in doc.pdfium[index].get_objects(max_depth=8)
                   if obj.type == raw.FPDF_PAGEOBJ_IMAGE]
        for char, (left, bottom, right, top) in placed:
            if left < safe[0] - 0.01 or bottom < safe[1] - 0.01 or right > safe[2] + 0.01 or top > safe[3] + 0.01:
                problems.append((index + 1, char, round(left, 1), round(bottom, 1), round(right, 1), round(top, 1)))
    assert not problems, f"outside the safe area {tuple(round(v, 1) for v in safe)}: {problems[:10]}"


def test_riverbend_logo_is_an_image_the_safe_area_test_sees(cli_build):
    import pypdfium2.raw as raw

    doc = cli_build("riverbend", "checklist", "--print")
    assert [o for o in doc.pdfium[0].get_objects(max_depth=8) if o.type == raw.FPDF_PAGEOBJ_IMAGE]


# ===== 5. the fillable checklist =====================================================================


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def checklist_items() -> list[tuple[str, str]]:
    """(expected field name, item text) of every item of the real guide's checklist, in order."""
    items = []
    for g, group in enumerate(guide_data()["checklist"]["groups"], 1):
        for i, item in enumerate(group["items"], 1):
            text = item if isinstance(item, str) else item["text"]
            items.append((f"check-{g:02d}-{i:02d}-{_slug(text)[:40]}", text))
    return items


def widgets(doc: Doc) -> list:
    return [resolve(a) for page in doc.pages for a in (resolve(page.get("/Annots")) or [])
            if resolve(a).get("/Subtype") == "/Widget"]


def form_fields(doc: Doc) -> list:
    form = resolve(doc.reader.trailer["/Root"].get("/AcroForm"))
    return [resolve(f) for f in (resolve(form.get("/Fields")) or [])] if form else []


def test_checklist_has_one_named_checkbox_per_item_with_its_text_as_tooltip(cli_build):
    doc = cli_build("lakeside", "checklist")
    items = checklist_items()
    assert len(items) == 13
    assert items[1][0] == "check-01-02-practice-math-and-typing"
    fields = form_fields(doc)
    assert len(fields) == len(items)
    assert all(f.get("/FT") == "/Btn" for f in fields)
    names = [str(f["/T"]) for f in fields]
    assert len(set(names)) == len(names), "field names must be unique"
    assert sorted(names) == sorted(name for name, _ in items)
    tooltips = {str(f["/T"]): str(f.get("/TU")) for f in fields}
    assert tooltips == dict(items)
    # Each field is a widget on the page, and the widgets come in reading order (tab order).
    assert [str(w["/T"]) for w in widgets(doc)] == [name for name, _ in items]


def test_field_names_are_stable_across_builds_and_schools(cli_build, tmp_path):
    names = {school: [str(f["/T"]) for f in form_fields(cli_build(school, "checklist"))]
             for school in ("default", "lakeside", "riverbend")}
    again = run_cli(["build", "--school", "lakeside", "--layout", "checklist", "--out", tmp_path])
    assert again.exit_code == 0, again.stderr
    rebuilt = Doc(tmp_path / "lakeside" / "medical-coder-checklist.pdf")
    assert rebuilt.data == cli_build("lakeside", "checklist").data
    assert names["default"] == names["lakeside"] == names["riverbend"] == [n for n, _ in checklist_items()]
    # In print mode the fields keep their names (and sit on the shifted boxes).
    assert [str(f["/T"]) for f in form_fields(cli_build("lakeside", "checklist", "--print"))] == names["lakeside"]


def tick(doc: Doc, name: str) -> Doc:
    """The checklist with `name` ticked by pypdf, as a form filler would."""
    writer = PdfWriter(clone_from=doc.reader)
    writer.update_page_form_field_values(writer.pages[0], {name: "/Yes"}, auto_regenerate=False)
    buffer = io.BytesIO()
    writer.write(buffer)
    ticked = Doc.__new__(Doc)
    ticked.path, ticked.data = doc.path, buffer.getvalue()
    return ticked


def render_with_forms(data: bytes, scale: float):
    """Page 1 rendered as a viewer shows it: forms initialised before any page is loaded."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    doc.init_forms()
    page = doc[0]
    return page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB"), page.get_height()


def _inner(rect, inset=2.5):
    x0, y0, x1, y1 = (float(v) for v in rect)
    return x0 + inset, y0 + inset, x1 - inset, y1 - inset


@pytest.mark.parametrize("options", [(), ("--print",)], ids=["screen", "print"])
def test_ticking_a_box_round_trips_and_shows_a_tick(cli_build, options):
    """Fill one field with pypdf: it reads back as /Yes; rendered with its form (pdfium, as a
    viewer draws it) the ticked box is dark inside and every other box stays empty."""
    doc = cli_build("lakeside", "checklist", *options)
    name = checklist_items()[1][0]
    ticked = tick(doc, name)
    values = {k: v.get("/V") for k, v in ticked.reader.get_fields().items()}
    assert values[name] == "/Yes"
    assert all(v in (None, "/Off") for k, v in values.items() if k != name), values
    widget = next(w for w in widgets(ticked) if w["/T"] == name)
    assert widget.get("/AS") == "/Yes"

    scale = 4.0
    image, height = render_with_forms(ticked.data, scale)
    blank, _ = render_with_forms(doc.data, scale)  # the untouched document, its form drawn too
    for w in widgets(ticked):
        inner = _inner(w["/Rect"])
        shown = darkness(crop(image, height, scale, inner))
        if w["/T"] == name:
            assert shown > 25, ("no tick drawn", shown)
            assert darkness(crop(blank, height, scale, inner)) < 3, "unticked before filling"
        else:
            assert shown < 3, (str(w["/T"]), shown)
        # The box's own outline prints either way, just inside the widget's rectangle.
        x0, y0, x1, y1 = (float(v) for v in w["/Rect"])
        outline = darkness(crop(blank, height, scale, (x0, y0, x1, y0 + 1.2)))
        assert outline > 40, (str(w["/T"]), "no box outline", outline)


def test_no_fields_gives_a_flat_checklist_with_the_boxes_still_drawn(cli_build):
    fillable = cli_build("lakeside", "checklist")
    flat = cli_build("lakeside", "checklist", "--no-fields")
    assert not form_fields(flat) and not widgets(flat)
    scale = 4.0
    image, height = render(flat, 0, scale)
    rects = [w["/Rect"] for w in widgets(fillable)]
    assert len(rects) == 13
    for rect in rects:  # same layout: the drawn boxes are where the fields were
        x0, y0, x1, y1 = (float(v) for v in rect)
        for edge in ((x0, y0, x1, y0 + 1.2), (x0, y1 - 1.2, x1, y1), (x0, y0, x0 + 1.2, y1), (x1 - 1.2, y0, x1, y1)):
            assert darkness(crop(image, height, scale, edge)) > 40, (rect, edge)
        assert darkness(crop(image, height, scale, _inner(rect))) < 3, rect


def _all_bytes(doc: Doc) -> bytes:
    """The file's bytes and every stream decoded, so nothing hides in a compressed stream."""
    chunks = [doc.data]
    reader = PdfReader(io.BytesIO(doc.data))
    for num in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(num)
        except Exception:  # noqa: BLE001 - a free object number
            continue
        if hasattr(obj, "get_data"):
            chunks.append(obj.get_data())
    return b"\n".join(chunks)


@pytest.mark.parametrize("options", [(), ("--print",)], ids=["screen", "print"])
def test_checkbox_widgets_add_no_standard_14_font(cli_build, options):
    doc = cli_build("lakeside", "checklist", *options)
    assert form_fields(doc)
    everything = _all_bytes(doc)
    for font in (b"Helvetica", b"ZapfDingbats"):
        assert font not in everything, font
    assert not re.search(rb"/BaseFont\s*/(Helvetica|ZapfDingbats|Times|Courier|Symbol)", everything)


# ===== 6. links ==================================================================================


def url_text(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")


def expected_links(school_data: dict, layout: str) -> list[tuple[str, str]]:
    """(URI, printed text) of every address the layout prints for the real guide."""
    contact, program = school_data.get("contact") or {}, school_data.get("program") or {}
    links = []
    if program.get("url"):
        links.append((program["url"], url_text(program["url"])))
    if contact.get("website"):
        links.append((contact["website"], url_text(contact["website"])))
    if contact.get("email"):
        links.append((f"mailto:{contact['email']}", contact["email"]))
    if layout == "handout":
        guide = guide_data()
        links += [(r["url"], url_text(r["url"])) for r in guide["resources"]]
        links += [(s["url"], url_text(s["url"])) for s in guide["sources"] if s.get("url")]
        links.append(("https://www.cahiim.org", "cahiim.org"))  # the [cahiim.org](...) in a callout
    return links


def link_annotations(doc: Doc) -> list[tuple[int, tuple, str]]:
    found = []
    for index, page in enumerate(doc.pages):
        for annot in resolve(page.get("/Annots")) or []:
            annot = resolve(annot)
            if annot.get("/Subtype") == "/Link":
                action = resolve(annot.get("/A")) or {}
                found.append((index, box(annot["/Rect"]), str(action.get("/URI", ""))))
    return found


def _squash(text: str) -> str:
    return squash(_hyphens(text))


def _hyphens(text: str) -> str:
    """pdfium marks a hyphen it found at a line end as U+0002 or U+FFFE: it is a hyphen."""
    return text.replace("\x02", "-").replace("\ufffe", "-")


URL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|org|edu|gov|net)(?:/\S*)?")


@pytest.mark.parametrize("options", [(), ("--print",)], ids=["screen", "print"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_printed_address_is_a_link_with_the_right_uri(cli_build, layout, options):
    import yaml

    doc = cli_build("lakeside", layout, *options)
    school = yaml.safe_load(school_file("lakeside").read_text(encoding="utf-8"))
    wanted = expected_links(school, layout)
    links = link_annotations(doc)
    uris = {uri for _, _, uri in links}
    assert {uri for uri, _ in wanted} == uris, "missing or unexpected link targets"

    qr_size = 0.95 * INCH
    text_under: dict[str, str] = {}
    for index, rect, uri in links:
        under = doc.pdfium[index].get_textpage().get_text_bounded(*rect)
        if not under.strip():  # the QR code: a square its size, linking to the program
            assert abs(rect[2] - rect[0] - qr_size) < 0.5 and abs(rect[3] - rect[1] - qr_size) < 0.5, rect
            assert uri == school["program"]["url"], uri
            continue
        assert _squash(under) in _squash(url_text(uri) if not uri.startswith("mailto:") else uri[7:]), \
            (uri, under)
        text_under[uri] = text_under.get(uri, "") + _squash(under)
    for uri, printed in wanted:
        assert _squash(printed) in text_under.get(uri, ""), (uri, printed, text_under.get(uri))

    # And the other way round: every address-looking word on the page sits under a link to it.
    for index in range(len(doc.pages)):
        textpage = doc.pdfium[index].get_textpage()
        text = _hyphens(textpage.get_text_range())
        rects = [(rect, uri) for i, rect, uri in links if i == index]
        for match in URL_LIKE.finditer(text):
            for i in range(match.start(), match.end()):
                left, bottom, right, top = textpage.get_charbox(i)
                cx, cy = (left + right) / 2, (bottom + top) / 2
                covering = [uri for (x0, y0, x1, y1), uri in rects if x0 <= cx <= x1 and y0 <= cy <= y1]
                assert covering, (index + 1, match.group(), "not a link")
                assert any(match.group().rstrip(".") in uri for uri in covering), (match.group(), covering)


@pytest.mark.parametrize("options", [(), ("--print",)], ids=["screen", "print"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_qr_code_area_links_to_the_program(cli_build, layout, options):
    import zxingcpp

    doc = cli_build("lakeside", layout, *options)
    program = "https://lakeside.example.edu/coding"
    squares = [(i, rect) for i, rect, uri in link_annotations(doc)
               if uri == program and abs((rect[2] - rect[0]) - (rect[3] - rect[1])) < 0.5]
    assert len(squares) == 1, squares
    index, rect = squares[0]
    scale = 4.0
    image, height = render(doc, index, scale)
    region = crop(image, height, scale, grown(rect, 2))
    codes = [c.text for c in zxingcpp.read_barcodes(region) if "QR" in str(c.format)]
    assert codes == [program], "the link's rectangle is the QR code that scans to the program"


# ===== 7. the tri-fold brochure ==================================================================


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("school", BROCHURE_SCHOOLS)
def test_brochure_is_two_landscape_pages_with_text_inside_its_panels(cli_build, school, size):
    from guidebuilder.pdf.geometry import fold_lines, fold_panels

    doc = cli_build(school, "brochure", size=size)
    _check_brochure(doc, size, fold_lines, fold_panels)


def test_print_brochure_keeps_text_inside_its_panels(cli_build):
    from guidebuilder.pdf.geometry import fold_lines, fold_panels

    _check_brochure(cli_build("lakeside", "brochure", "--print"), "letter", fold_lines, fold_panels)


def _check_brochure(doc: Doc, size: str, fold_lines, fold_panels):
    import yaml

    assert len(doc.pages) == 2
    short, long_ = sorted(PAGE_POINTS[size])
    title = yaml.safe_load((REPO / "content" / "medical-coder.yaml").read_text(encoding="utf-8"))["title"]
    for index, page in enumerate(doc.pages):
        media = box(page.mediabox)
        assert media[2] - media[0] > media[3] - media[1], "landscape"
        trim = trim_of(page)
        width = trim[2] - trim[0]
        assert abs(width - long_) < 0.01 and abs(trim[3] - trim[1] - short) < 0.01
        panels = {name: (trim[0] + left, trim[0] + right)
                  for name, (p, left, right) in fold_panels(width).items() if p == index + 1}
        assert len(panels) == 3
        folds = [trim[0] + x for x in fold_lines(width, index + 1)]
        by_panel: dict[str, str] = {name: "" for name in panels}
        chars = chars_of(doc, index)
        assert len(chars) > 300, "each page carries text"
        for char, (left, bottom, right, top) in chars:
            centre = (left + right) / 2
            name = next((n for n, (l, r) in panels.items() if l <= centre <= r), None)
            assert name is not None, (index + 1, char, left, right)
            l, r = panels[name]
            assert l - 0.01 <= left and right <= r + 0.01, (index + 1, name, char, left, right, (l, r))
            for fold in folds:
                assert min(abs(left - fold), abs(right - fold)) >= FOLD_CLEARANCE and not left <= fold <= right, \
                    (index + 1, name, char, left, right, fold)
            by_panel[name] += char
        if index == 0:
            assert squash(title) in squash(by_panel["cover"]), by_panel["cover"][:200]
            assert squash(title) not in squash(by_panel["flap"] + by_panel["back"])
        for name, text in by_panel.items():
            assert text.strip(), f"panel {name} is empty"


def test_brochure_panels_are_in_letter_fold_order():
    """The cover is the right third of the outside page, the flap (the narrow panel that tucks
    in) its left; the inside's right panel is the back of the flap, just as narrow."""
    from guidebuilder.pdf.geometry import fold_lines, fold_panels

    width = 792.0
    panels = fold_panels(width)
    page1 = sorted((left, name) for name, (p, left, _) in panels.items() if p == 1)
    page2 = sorted((left, name) for name, (p, left, _) in panels.items() if p == 2)
    assert [n for _, n in page1] == ["flap", "back", "cover"]
    assert [n for _, n in page2] == ["inside-left", "inside-middle", "inside-right"]
    widths = {name: right - left for name, (_, left, right) in panels.items()}
    assert abs(sum(widths[n] for _, n in page1) - width) < 1e-6
    assert widths["flap"] < widths["back"] and abs(widths["flap"] - widths["inside-right"]) < 1e-6
    assert fold_lines(width, 1) == [panels["flap"][2], panels["back"][2]]
    assert fold_lines(width, 2) == [panels["inside-left"][2], panels["inside-middle"][2]]


def test_brochure_with_a_long_first_section_names_the_overflowing_panel(tmp_path):
    data = guide_data()
    data["sections"][0]["body"] = data["sections"][0]["body"] * 4
    guide = write_guide(tmp_path / "long-guide.yaml", data)
    out = tmp_path / "out"
    result = run_cli(["build", "--guide", guide, "--school", "lakeside", "--layout", "brochure", "--out", out])
    assert result.exit_code == 1, (result.output, result.stderr, result.exception)
    assert re.search(r'panels overflow: "inside-left" by \d+(?:\.\d+)? in', result.stderr), result.stderr
    assert '"inside-middle"' not in result.stderr and '"cover"' not in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not list(out.rglob("*.pdf")), "no PDF is written"


# ===== 8. batch ====================================================================================


SUMMARY = re.compile(r"^built (\d+), up to date (\d+), failed (\d+) school", re.MULTILINE)


def _batch(out: Path, *options):
    result = run_cli(["batch", "lakeside", "--layout", "checklist", "--jobs", "1", "--out", out, *options])
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    found = SUMMARY.findall(result.stderr)
    assert len(found) == 1, result.stderr
    return tuple(int(v) for v in found[0])


def test_batch_print_writes_print_pdfs_and_print_options_are_part_of_the_inputs(tmp_path):
    out = tmp_path / "out"
    pdf = out / "lakeside" / "medical-coder-checklist.pdf"

    assert _batch(out, "--print") == (1, 0, 0)
    page = PdfReader(pdf).pages[0]
    assert near_box(page_box(page, "/TrimBox"), (36, 36, 648, 828))
    assert near_box(box(page.mediabox), (0, 0, 684, 864))
    assert crop_marks(PdfReader(pdf), page)

    assert _batch(out, "--print") == (0, 1, 0), "unchanged inputs are up to date"

    assert _batch(out) == (1, 0, 0), "dropping --print rebuilds"
    page = PdfReader(pdf).pages[0]
    assert near_box(box(page.mediabox), (0, 0, 612, 792))
    assert page_box(page, "/TrimBox") is None or near_box(page_box(page, "/TrimBox"), box(page.mediabox))

    assert _batch(out, "--no-fields") == (1, 0, 0), "--no-fields is an input too"
    assert not PdfReader(pdf).get_fields()
