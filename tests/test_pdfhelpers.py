"""The PDF inspection helpers find what they claim to find (so the font tests can fail)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject

from pdfhelpers import STANDARD_14, base_font_name, colour_ops, contains_text, fonts_of, image_xobjects


def _form_pdf() -> bytes:
    """A page whose only font is used inside a form XObject."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(200, 200), invariant=1)
    canvas.beginForm("stamp")
    canvas.setFont("Courier-Bold", 9)
    canvas.drawString(10, 10, "inside a form")
    canvas.endForm()
    canvas.setFillColorRGB(0.25, 0.5, 0.75)
    canvas.rect(0, 0, 20, 20, fill=1, stroke=0)
    canvas.doForm("stamp")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_fonts_inside_form_xobjects_are_found():
    page = PdfReader(io.BytesIO(_form_pdf())).pages[0]
    names = [base_font_name(font) for _, font in fonts_of(page)]
    assert "Courier-Bold" in names
    assert any(STANDARD_14.match(n) for n in names)


def test_fonts_in_annotation_appearance_streams_are_found():
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Times-Roman")})
    appearance = DecodedStreamObject()
    appearance.set_data(b"BT /F9 12 Tf (x) Tj ET")
    appearance.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                       NameObject("/BBox"): ArrayObject([FloatObject(0)] * 2 + [FloatObject(50)] * 2),
                       NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject(
                           {NameObject("/F9"): writer._add_object(font)})})})
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Text"),
                              NameObject("/Rect"): ArrayObject([FloatObject(0)] * 2 + [FloatObject(50)] * 2),
                              NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)})})
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    buffer = io.BytesIO()
    writer.write(buffer)
    names = [base_font_name(f) for _, f in fonts_of(PdfReader(io.BytesIO(buffer.getvalue())).pages[0])]
    assert names == ["Times-Roman"]


def test_colour_ops_and_images():
    page = PdfReader(io.BytesIO(_form_pdf())).pages[0]
    assert ((0.25, 0.5, 0.75), "rg") in colour_ops(page)
    assert image_xobjects(page) == []


def test_contains_text_ignores_wrapping_hyphenation_and_quotes():
    assert contains_text("the job grows\nfast", "job grows fast")
    assert contains_text("medi-\ncal coder", "medical coder")
    assert contains_text("2024-\n34", "2024-34")
    assert contains_text("\u201cquoted\u201d it\u2019s \ufb01ne", "\"quoted\" it's fine")
    assert not contains_text("job grows slowly", "job grows fast")
