"""What the built PDFs hold: text, metadata, embedded fonts, brand colours and logos."""

from __future__ import annotations

import re

import pytest

import guidebuilder
from pdfhelpers import (
    SCHOOLS, SIZES, STANDARD_14, base_font_name, contains_text, fonts_of, guide_data, has_colour,
    image_xobjects, plain_markdown, resolve, school_file,
)

COMBOS = [(school, size) for school in SCHOOLS for size in SIZES]

def _school(slug):
    from guidebuilder.load import load_school

    return load_school(school_file(slug))


# ---- text ------------------------------------------------------------------------------


def _handout_strings(guide):
    yield "title", guide.title
    for i, section in enumerate(guide.sections):
        yield f"sections[{i}].heading", plain_markdown(section.heading)
    for i, fact in enumerate(guide.key_facts):
        yield f"key_facts[{i}].value", fact.value
        yield f"key_facts[{i}].label", plain_markdown(fact.label)


def test_the_real_guide_has_what_the_text_tests_rely_on(guide):
    assert guide.title == "How to Become a Medical Coder"
    assert len(guide.sections) >= 3
    assert 2 <= len(guide.key_facts) <= 4
    assert sum(len(g.items) for g in guide.checklist.groups) >= 5


@pytest.mark.parametrize("school,size", COMBOS)
def test_handout_holds_title_headings_and_key_facts(built, guide, school, size):
    text = built(school, "handout", size).text
    missing = [f"{where}: {value!r}" for where, value in _handout_strings(guide) if not contains_text(text, value)]
    assert not missing, "not in the handout text:\n" + "\n".join(missing)


@pytest.mark.parametrize("school,size", COMBOS)
def test_checklist_holds_every_item_and_detail(built, guide, school, size):
    text = built(school, "checklist", size).text
    wanted = [("checklist.title", guide.checklist.title)]
    for g, group in enumerate(guide.checklist.groups):
        wanted.append((f"groups[{g}].heading", plain_markdown(group.heading)))
        for i, item in enumerate(group.items):
            wanted.append((f"groups[{g}].items[{i}].text", plain_markdown(item.text)))
            if item.detail:
                wanted.append((f"groups[{g}].items[{i}].detail", plain_markdown(item.detail)))
    assert any(item.detail for group in guide.checklist.groups for item in group.items)
    missing = [f"{where}: {value!r}" for where, value in wanted if not contains_text(text, value)]
    assert not missing, "not in the checklist text:\n" + "\n".join(missing)


def test_text_check_is_not_vacuous(built):
    """The text helper really tells present from absent text."""
    text = built("default", "handout", "letter").text
    assert contains_text(text, "How to Become a Medical Coder")
    assert not contains_text(text, "How to Become a Dental Hygienist")


# ---- metadata ----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["handout", "checklist"])
@pytest.mark.parametrize("school", SCHOOLS)
def test_metadata(built, guide, school, layout):
    doc = built(school, layout, "letter")
    meta = doc.reader.metadata
    name = _school(school).name
    expected_title = guide.title if layout == "handout" else guide.checklist.title
    assert meta.get("/Title") == expected_title
    assert meta.get("/Author") == name
    subject = meta.get("/Subject") or ""
    assert subject.strip(), "empty /Subject"
    assert guide.title in subject or (guide.subtitle and guide.subtitle in subject)
    keywords = meta.get("/Keywords") or ""
    assert guide.id in keywords
    creator = meta.get("/Creator") or ""
    assert "guidebuilder" in creator and guidebuilder.__version__ in creator


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_catalog_lang_is_the_guide_language(built, guide, layout):
    catalog = built("lakeside", layout, "a4").reader.trailer["/Root"]
    assert guide.language == "en"
    assert catalog.get("/Lang") == guide.language


def test_catalog_lang_follows_another_language(build_guide):
    data = guide_data()
    data["language"] = "es-MX"
    doc = build_guide(data, "checklist")
    assert doc.reader.trailer["/Root"].get("/Lang") == "es-MX"


# ---- fonts -----------------------------------------------------------------------------


def _font_problems(doc) -> list[str]:
    problems, seen = [], 0
    for number, page in enumerate(doc.pages, 1):
        for name, font in fonts_of(page):
            seen += 1
            base = base_font_name(font)
            where = f"page {number} {name} {base}"
            if STANDARD_14.match(base):
                problems.append(f"{where}: a standard (base-14) font")
            subtype = font.get("/Subtype")
            if subtype == "/Type0":
                descendant = resolve(resolve(font["/DescendantFonts"])[0])
                descriptor = resolve(descendant.get("/FontDescriptor"))
            else:
                descriptor = resolve(font.get("/FontDescriptor"))
            if descriptor is None or "/FontFile2" not in descriptor:
                problems.append(f"{where}: not embedded ({subtype}, no /FontFile2)")
    if not seen:
        problems.append("no fonts found at all (the walk is broken)")
    return problems


def _marks(school):
    return school


@pytest.mark.parametrize("layout", ["handout", "checklist"])
@pytest.mark.parametrize("school", [_marks(s) for s in SCHOOLS])
def test_every_font_is_embedded_truetype(built, school, layout):
    problems = _font_problems(built(school, layout, "letter"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("layout", ["handout", "checklist"])
@pytest.mark.parametrize("school", [_marks(s) for s in SCHOOLS])
def test_no_standard_font_anywhere_in_the_file(built, school, layout):
    data = built(school, layout, "a4").data
    hits = sorted(set(re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?((?:Helvetica|Times|Courier|Symbol|ZapfDingbats)"
                                 rb"[\w-]*)", data)))
    assert not hits, f"standard fonts named in the file: {hits}"


def test_font_walk_finds_bold_and_italic(built):
    """The handout uses the regular, bold and italic faces of the default family."""
    doc = built("default", "handout", "letter")
    names = {base_font_name(font) for page in doc.pages for _, font in fonts_of(page)}
    assert any("Regular" in n for n in names)
    assert any("Semibold" in n or "Bold" in n for n in names)
    assert any(n.endswith("It") or "Italic" in n for n in names)


# ---- brand colours and logos -----------------------------------------------------------------

LAKESIDE_PRIMARY = "#0B4F6C"
RIVERBEND_PRIMARY = "#7A1F2B"


def test_brand_colours_are_the_ones_in_the_school_files():
    assert _school("lakeside").colors.primary == LAKESIDE_PRIMARY
    assert _school("riverbend").colors.primary == RIVERBEND_PRIMARY


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_each_school_paints_its_own_primary_colour(built, layout):
    lakeside = built("lakeside", layout, "letter").pages[0]
    riverbend = built("riverbend", layout, "letter").pages[0]
    assert has_colour(lakeside, LAKESIDE_PRIMARY, "rg")
    assert has_colour(riverbend, RIVERBEND_PRIMARY, "rg")
    assert not has_colour(lakeside, RIVERBEND_PRIMARY)
    assert not has_colour(riverbend, LAKESIDE_PRIMARY)


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_riverbend_logo_is_an_image(built, layout):
    page = built("riverbend", layout, "letter").pages[0]
    images = image_xobjects(page)
    assert images, "no image XObject on page 1"
    from PIL import Image

    with Image.open(school_file("riverbend").parent / "logo.png") as logo:
        left, top, right, bottom = logo.getchannel("A").getbbox()  # transparent margins are cropped
        ratio = (right - left) / (bottom - top)
    # The logo may be downsampled for print, but keeps its shape.
    assert any(abs(int(x["/Width"]) / int(x["/Height"]) - ratio) < 0.02 for _, x in images), \
        [(int(x["/Width"]), int(x["/Height"])) for _, x in images]


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_lakeside_logo_is_drawn_as_vector_paths(built, layout):
    page = built("lakeside", layout, "letter").pages[0]
    assert image_xobjects(page) == []
    content = page.get_contents().get_data().decode("latin-1")
    # The logo's wave is stroked in #01BAEF, a colour no layout role uses, with Bezier curves.
    assert has_colour(page, "#01BAEF", "RG")
    assert re.search(r"(?m)\s c$", content) or re.search(r"\d c\s", content)


def test_school_without_logo_sets_its_name_in_the_top_band(built):
    doc = built("default", "handout", "letter")
    page = doc.pages[0]
    assert _school("default").logo is None
    assert image_xobjects(page) == []
    height = float(page.mediabox.height)
    hits = []

    def visit(text, cm, tm, font, size):
        if "Guidebuilder Career Guides" in text:
            hits.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    assert hits, "the school name is not set as text on page 1"
    assert max(hits) > height - 2.5 * 72, f"school name at y={max(hits)}, not in the top band"


@pytest.mark.parametrize("layout", ["handout", "checklist"])
def test_top_band_renders_in_each_school_colour(built, layout):
    import pypdfium2 as pdfium
    from PIL import ImageStat

    from pdfhelpers import hex_rgb

    averages = {}
    for school in ("lakeside", "riverbend"):
        pdf = pdfium.PdfDocument(str(built(school, layout, "letter").path))
        try:
            image = pdf[0].render(scale=0.5).to_pil().convert("RGB")
        finally:
            pdf.close()
        band = image.crop((0, 0, image.width, int(0.35 * 72 * 0.5)))  # the top 0.35 in
        averages[school] = tuple(ImageStat.Stat(band).mean[:3])
    for school, primary in (("lakeside", LAKESIDE_PRIMARY), ("riverbend", RIVERBEND_PRIMARY)):
        want = tuple(c * 255 for c in hex_rgb(primary))
        assert all(abs(a - b) < 12 for a, b in zip(averages[school], want)), (school, averages[school], want)
    difference = sum(abs(a - b) for a, b in zip(averages["lakeside"], averages["riverbend"]))
    assert difference > 150, averages
