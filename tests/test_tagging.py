"""Tagged PDF (PDF/UA-1): what the `pdfua` checker does not look at, read back with pikepdf,
plus regression tests for each ReportLab internal that guidebuilder/pdf/tagging.py and pdf/reportlab/ rely on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO

import pikepdf
import pytest

from pdfhelpers import SIZES

SCHOOLS = ("default", "lakeside", "riverbend", "summit-ridge")
LAYOUTS = ("handout", "checklist", "brochure")
ALL = [(s, l, z) for s in SCHOOLS for l in LAYOUTS for z in SIZES
       if (s, l, z) != ("summit-ridge", "brochure", "letter")]  # that brochure overflows a panel (not tagging)

PAINTING = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "BI"}
STANDARD_FONTS = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


@dataclass
class Element:
    role: str
    obj: pikepdf.Dictionary
    kids: list = field(default_factory=list)
    mcids: list = field(default_factory=list)     # (page objgen, mcid)
    objrs: list = field(default_factory=list)     # annotation objgen

    @property
    def pages(self):
        return {page for page, _ in self.mcids}


def structure(pdf: pikepdf.Pdf) -> list[Element]:
    """The structure elements in tree (reading) order."""
    elements = []

    def walk(obj, page):
        element = Element(str(obj.S)[1:], obj)
        elements.append(element)
        page = obj.get("/Pg", page)
        kids = obj.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids])
        for kid in kids:
            if isinstance(kid, int) or (isinstance(kid, pikepdf.Object) and kid._type_name == "integer"):
                element.mcids.append((page.objgen, int(kid)))
            elif kid.get("/Type") == "/MCR":
                element.mcids.append((kid.Pg.objgen, int(kid.MCID)))
            elif kid.get("/Type") == "/OBJR":
                element.objrs.append(kid.Obj.objgen)
            else:
                assert kid.P.objgen == obj.objgen, "a kid's /P is not its parent"
                element.kids.append(walk(kid, page))
        return element

    root = pdf.Root.StructTreeRoot
    walk(root.K, None)
    return elements


def marked_content(page: pikepdf.Page):
    """(mcids in the page's content, painting operators outside marked content,
    artifacts nested in tagged content)."""
    mcids, loose, nested = [], [], 0
    stack = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BDC", "BMC"):
            tag = str(operands[0])
            props = operands[1] if op == "BDC" else None
            mcid = int(props.MCID) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
            if tag == "/Artifact" and any(m is not None for _, m in stack):
                nested += 1
            if mcid is not None:
                mcids.append(mcid)
            stack.append((tag, mcid))
        elif op == "EMC":
            stack.pop()
        elif op in PAINTING and not stack:
            loose.append(op)
    assert not stack, "unbalanced marked content"
    return mcids, loose, nested


@pytest.fixture(scope="module")
def tagged(built):
    cache = {}

    def get(school, layout, size):
        key = (school, layout, size)
        if key not in cache:
            doc = built(school, layout, size)
            pdf = pikepdf.open(BytesIO(doc.data))
            cache[key] = (pdf, structure(pdf))
        return cache[key]

    return get


@pytest.mark.parametrize("school,layout,size", ALL)
def test_every_mcid_belongs_to_exactly_one_element_through_the_parent_tree(tagged, school, layout, size):
    pdf, elements = tagged(school, layout, size)
    owners = {}
    for element in elements:
        for key in element.mcids:
            assert key not in owners, f"MCID {key} claimed by {owners[key].role} and {element.role}"
            owners[key] = element
    nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    in_content = set()
    for page in pdf.pages:
        mcids, _, _ = marked_content(page)
        assert len(mcids) == len(set(mcids)), "an MCID is used twice on one page"
        refs = tree[int(page.obj.StructParents)]
        assert len(refs) == len(mcids)
        for mcid in mcids:
            key = (page.obj.objgen, mcid)
            in_content.add(key)
            assert key in owners, f"MCID {mcid} on a page has no element"
            assert refs[mcid].objgen == owners[key].obj.objgen, "the ParentTree names another element"
    assert in_content == set(owners), "an element claims content that is not on its page"


@pytest.mark.parametrize("school,layout,size", ALL)
def test_nothing_is_painted_outside_marked_content(tagged, school, layout, size):
    pdf, _ = tagged(school, layout, size)
    for number, page in enumerate(pdf.pages, 1):
        _, loose, nested = marked_content(page)
        assert not loose, f"page {number}: {len(loose)} painting operators outside marked content: {loose[:10]}"
        assert not nested, f"page {number}: artifacts inside tagged content"


@pytest.mark.parametrize("school,layout,size", ALL)
def test_figures_have_alt_and_headings_do_not_skip(tagged, school, layout, size):
    _, elements = tagged(school, layout, size)
    assert elements[0].role == "Document"
    figures = [e for e in elements if e.role == "Figure"]
    for figure in figures:
        assert str(figure.obj.get("/Alt", "")).strip(), "a Figure without Alt"
        assert figure.mcids, "an empty Figure"
    levels = [int(e.role[1]) for e in elements if re.fullmatch(r"H[1-6]", e.role)]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"heading levels skip: {levels}"
    for heading in (e for e in elements if re.fullmatch(r"H[1-6]", e.role)):
        assert heading.mcids, "an empty heading"


def test_figure_alt_texts(tagged):
    _, elements = tagged("lakeside", "handout", "letter")
    alts = [str(e.obj.Alt) for e in elements if e.role == "Figure"]
    assert any(alt.startswith("QR code: https://") for alt in alts), alts
    assert any("logo" in alt.lower() or "Lakeside" in alt for alt in alts), alts


@pytest.mark.parametrize("school,layout,size", ALL)
def test_document_level_entries(tagged, school, layout, size):
    pdf, elements = tagged(school, layout, size)
    root = pdf.Root
    assert pdf.pdf_version == "1.7"
    assert bool(root.MarkInfo.Marked) is True
    assert str(root.Lang)
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    title = str(pdf.docinfo.Title)
    assert title
    xmp = root.Metadata.read_bytes().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    from xml.sax.saxutils import escape

    assert escape(title) in xmp
    annotated = {e_objgen for e in elements for e_objgen in e.objrs}
    for page in pdf.pages:
        annots = list(page.obj.get("/Annots", []))
        if annots:
            assert page.obj.Tabs == "/S"
        for annot in annots:
            assert annot.objgen in annotated, "an annotation without a structure element"
            assert "/StructParent" in annot
    for element in elements:
        for objgen in element.objrs:
            annot = pdf.get_object(objgen)
            assert element.role == ("Link" if annot.Subtype == "/Link" else "Form")
            if annot.Subtype == "/Link":
                assert str(annot.Contents).strip()


@pytest.mark.parametrize("school,layout,size", ALL)
def test_every_font_is_embedded_with_unicode_mappings(tagged, school, layout, size):
    pdf, _ = tagged(school, layout, size)
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
            base = str(obj.get("/BaseFont", ""))
            assert not any(base.lstrip("/").startswith(name) for name in STANDARD_FONTS), base
            if obj.Subtype != "/Type3":
                assert "/ToUnicode" in obj, f"{base} has no ToUnicode"
                descriptor = obj.get("/FontDescriptor") or obj.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{base} not embedded"


def test_tables_lists_and_checklists_have_their_structure(tagged):
    _, elements = tagged("default", "handout", "letter")
    roles = [e.role for e in elements]
    for role in ("H1", "H2", "P", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD", "Figure", "Link"):
        assert role in roles, role
    for table in (e for e in elements if e.role == "Table"):
        assert table.kids and all(k.role == "TR" for k in table.kids)
        assert all(c.role == "TH" for c in table.kids[0].kids)
        assert all(str(c.obj.A.Scope) == "/Column" for c in table.kids[0].kids)
        assert all(c.role == "TD" for row in table.kids[1:] for c in row.kids)
    for lst in (e for e in elements if e.role == "L"):
        assert lst.kids and all(k.role == "LI" for k in lst.kids)
        for item in lst.kids:
            assert [k.role for k in item.kids][-1] == "LBody"
    _, elements = tagged("default", "checklist", "letter")
    forms = [e for e in elements if e.role == "Form"]
    assert forms and all(len(f.objrs) == 1 for f in forms)
    assert all(any(k.role == "Form" for k in item.kids[0].kids) for e in elements if e.role == "L" for item in e.kids)


def _text_of(pdf, element):
    """The text of an element's own marked content, in content order."""
    wanted = {}
    for page, mcid in element.mcids:
        wanted.setdefault(page, set()).add(mcid)
    return wanted


def test_brochure_reading_order_is_the_layout_order_not_the_panel_order(tagged):
    pdf, elements = tagged("lakeside", "brochure", "letter")
    headings = [e for e in elements if re.fullmatch(r"H[1-6]", e.role)]
    assert headings[0].role == "H1"
    # the cover (right-hand panel of page 1) is drawn after the flap and back, but read first
    first_page = pdf.pages[0].obj.objgen
    assert headings[0].pages == {first_page}
    top_level = elements[0].kids
    assert top_level.index(headings[0]) < top_level.index(headings[1])


def test_a_split_paragraph_table_and_list_stay_one_element():
    """Long content across pages: one P, one Table, one L, each with content on two pages;
    the repeated header row is an artifact."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, SimpleDocTemplate, Table

    from guidebuilder.render.flowables import FastParagraph
    from guidebuilder.pdf.tagging import TaggedCanvas, tag

    from pdfhelpers import REPO  # noqa: F401  (fonts: the standard ones are fine for this structural test)

    style = getSampleStyleSheet()["BodyText"]
    long_text = " ".join(f"word{i}" for i in range(900))
    paragraph = tag(FastParagraph(long_text, style), "P")
    rows = [[FastParagraph("<b>Head</b>", style), FastParagraph("<b>Other</b>", style)]]
    rows += [[FastParagraph(f"cell {i}", style), FastParagraph(f"value {i}", style)] for i in range(60)]
    table = tag(Table(rows, repeatRows=1), "Table")
    items = tag(ListFlowable([ListItem(FastParagraph(f"item {i} " + "text " * 30, style)) for i in range(40)],
                             bulletType="bullet", start="-"), "L")
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, title="Split test", lang="en", invariant=1)
    doc.build([paragraph, table, items], canvasmaker=TaggedCanvas)
    pdf = pikepdf.open(BytesIO(buffer.getvalue()))
    assert len(pdf.pages) >= 4
    elements = structure(pdf)
    top = elements[0].kids
    assert [e.role for e in top] == ["P", "Table", "L"]
    assert len(top[0].pages) == 2
    table_pages = {p for row in top[1].kids for cell in row.kids for k in cell.kids for p in k.pages}
    assert len(table_pages) >= 2
    assert len(top[1].kids) == 61
    assert sum(1 for row in top[1].kids for c in row.kids if c.role == "TH") == 2
    assert len(top[2].kids) == 40
    item_pages = {p for li in top[2].kids for k in li.kids for p in k.pages}
    assert len(item_pages) >= 2
    for page in pdf.pages:
        _, loose, nested = marked_content(page)
        assert not loose and not nested


# -- the ReportLab internals tagging.py relies on -----------------------------------------------

def test_reportlab_version_is_in_the_pinned_range():
    import reportlab

    major, minor = (int(x) for x in reportlab.Version.split(".")[:2])
    assert (5, 1) <= (major, minor) < (5, 2)


def test_hook_canvas_showpage_calls_set_annotations_with_the_page_and_code_is_a_list():
    from reportlab.pdfbase.pdfdoc import PDFPage
    from reportlab.pdfgen.canvas import Canvas

    seen = []

    class Probe(Canvas):
        def _setAnnotations(self, page):
            seen.append((page, self._pageNumber))
            super()._setAnnotations(page)

    c = Probe(BytesIO())
    assert isinstance(c._code, list)
    c.drawString(10, 10, "x")
    c.showPage()
    c.showPage()
    assert [n for _, n in seen] == [1, 2] and isinstance(seen[0][0], PDFPage)


def test_hook_pages_are_named_page_n_and_pdfpage_writes_its_nodefault_keys():
    from reportlab.pdfbase.pdfdoc import PDFCatalog, PDFDocument, PDFPage

    doc = PDFDocument()
    assert doc.thisPageName() == "Page1"
    assert "Annots" in PDFPage.__NoDefault__ and "StructParents" not in PDFPage.__NoDefault__
    for key in ("StructTreeRoot", "MarkInfo", "Metadata"):
        assert key in PDFCatalog.__NoDefault__


def test_hook_add_annotation_appends_the_reference():
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(BytesIO())
    c.linkURL("https://example.org", (0, 0, 10, 10))
    assert len(c._annotationrefs) == 1


def test_hook_paragraph_split_keeps_the_subclass_but_not_instance_attributes():
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    class Sub(Paragraph):
        pass

    p = Sub(" ".join(["word"] * 400), getSampleStyleSheet()["BodyText"])
    p.marker = 1
    p.wrap(200, 1000)
    parts = p.split(200, 100)
    assert len(parts) == 2 and all(type(q) is Sub for q in parts)
    assert not any(hasattr(q, "marker") for q in parts)


def test_hook_table_render_callback_reaches_the_parts_of_a_split_table():
    from reportlab.platypus import SimpleDocTemplate, Table

    calls = []

    def callback(table, cmd, *args):
        calls.append(cmd)

    table = Table([[f"r{i}"] for i in range(120)], repeatRows=1)
    table._renderCB = callback
    SimpleDocTemplate(BytesIO()).build([table])
    assert calls.count("startTable") >= 2
    assert {"startBG", "endBG", "startRow", "startCell", "endCell", "endRow", "startLines", "endLines"} <= set(calls)


def test_hook_list_flowable_content_is_indenters_with_bullet_and_flowable():
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, Paragraph
    from reportlab.platypus.flowables import LIIndenter

    style = getSampleStyleSheet()["BodyText"]
    lst = ListFlowable([ListItem(Paragraph("one " * 200, style)), ListItem(Paragraph("two", style))],
                       bulletType="bullet", start="-")
    content = lst._content
    assert all(isinstance(i, LIIndenter) for i in content)
    first = content[0]
    assert first.__dict__["_bullet"] is not None and isinstance(first.__dict__["_flowable"], Paragraph)
    first.wrap(300, 1000)
    parts = first.split(300, 80)
    assert len(parts) == 2 and parts[0].__dict__["_bullet"] is first.__dict__["_bullet"]
    assert parts[1].__dict__["_bullet"] is None


def test_tagging_is_a_no_op_on_a_plain_canvas():
    """Measuring and the plain canvas never see marked content."""
    from reportlab.pdfgen.canvas import Canvas

    from guidebuilder.pdf.tagging import artifact

    c = Canvas(BytesIO())
    with artifact(c):
        c.line(0, 0, 1, 1)
    assert not any("BMC" in str(code) or "BDC" in str(code) for code in c._code)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_packed_file_reads_back_cleanly(built, layout):
    """tagging._pdf_data writes an object stream and a cross-reference stream instead of the
    table: qpdf (pikepdf) reads it without repairs, and every object resolves."""
    doc = built("lakeside", layout, "letter")
    assert doc.data.startswith(b"%PDF-1.7") and b"/Type/XRef" in doc.data and b"\nxref\n" not in doc.data
    pdf = pikepdf.open(BytesIO(doc.data))
    assert not pdf.get_warnings()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            obj.read_bytes()
    assert not pdf.get_warnings()
    assert len(pdf.pages) == len(doc.pages)
