"""Canvas internals: page and annotation hooks, raw content-stream operators and a copy of
PDFDocument.GetPDFData that packs objects into an object stream (used by pdf/tagging.py).

Relies on (covered by tests/test_tagging.py and the byte-identity tests): Canvas._code,
Canvas._startPage, Canvas._setAnnotations(page) called by showPage, Canvas._addAnnotation,
Canvas._annotationrefs, Canvas._pageNumber, Canvas._doc, Canvas._filename, a canvas's page
state being its __dict__ (hold_page), PDFPage.__NoDefault__ listing the keys it writes, page
objects named "Page<n>" by PDFDocument, PDFDocument.__accum__ and _pdfVersion.
"""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas


def emit(canvas, operator: str) -> None:
    """Append a raw operator (marked-content BDC/EMC) to the page's content stream."""
    canvas._code.append(operator)


def page_index(canvas) -> int:
    """The index (from 0) of the page being drawn."""
    return canvas._pageNumber - 1


def pdf_document(canvas):
    """The canvas's PDFDocument (catalog, info, object references)."""
    return canvas._doc


def declare_page_keys(page, keys: list[str]) -> None:
    """Let a PDFPage write the extra dictionary keys `keys` (it writes only those it lists)."""
    from reportlab.pdfbase.pdfdoc import PDFPage

    page.__NoDefault__ = PDFPage.__NoDefault__ + keys


class HookedCanvas(Canvas):
    """A Canvas that tells its subclass when a page starts, an annotation is added and a page's
    annotations are settled (ReportLab has no public hooks for these)."""

    def page_started(self) -> None:
        """Called after ReportLab has started a new page."""

    def annotation_added(self, annotation, reference, addtopage: bool) -> None:
        """Called after ReportLab has added `annotation` (object `reference`) to the page."""

    def page_finishing(self, page, has_annotations: bool) -> None:
        """Called by showPage once the PDFPage `page` has its annotations."""

    def _startPage(self):
        super()._startPage()
        self.page_started()

    def _addAnnotation(self, annotation, name=None, addtopage=1):
        super()._addAnnotation(annotation, name, addtopage)
        self.annotation_added(annotation, self._annotationrefs[-1] if addtopage else None, addtopage)

    def _setAnnotations(self, page):
        super()._setAnnotations(page)
        self.page_finishing(page, bool(self._annotationrefs))

    def show_page_if_drawn(self) -> None:
        """showPage, if anything was drawn since the last one (as Canvas.save does)."""
        if len(self._code):
            self.showPage()

    def write_out(self, data: bytes) -> None:
        """Write the finished file to where the canvas was told to (a path or a file object)."""
        target = self._filename
        if hasattr(target, "write"):
            target.write(data)
        else:
            with open(target, "wb") as handle:
                handle.write(data)


def page_reference(doc, index: int) -> str:
    """The object reference of page `index` (from 0): PDFDocument names page n "Page<n>"."""
    return "%d 0 R" % doc.idToObjectNumberAndVersion[f"Page{index + 1}"][0]


def object_number(doc, obj) -> int:
    """The object number of `obj` (an annotation, by the name ReportLab gave it)."""
    return doc.idToObjectNumberAndVersion[obj.name][0]


def packed_pdf_data(canvas, placeholder, placeholder_objects) -> bytes:
    """The file, as PDFDocument.GetPDFData writes it, but with every object that is not a stream
    packed into one compressed object stream and a cross-reference stream (PDF 1.5+) instead of
    the table: the structure tree is hundreds of small objects that would grow the file a lot.

    `placeholder` is an object already referenced in the document whose number is kept but which
    is not formatted; `placeholder_objects(placeholder_number, last_number)` then gives the
    objects to pack for it (as (number, bytes), numbered from `last_number`)."""
    import zlib

    from reportlab.pdfbase.pdfdoc import PDFFile, NoEncryption, format as pdf_format

    doc = canvas._doc
    assert isinstance(doc.encrypt, NoEncryption), "tagged output does not support encryption"
    for font in doc.delayedFonts:
        font.addObjects(doc)
    doc.info.invariant = doc.invariant
    doc.info.digest(doc.signature)
    doc.Reference(doc.Catalog)
    doc.Reference(doc.info)
    doc.Outlines.prepare(doc, canvas)
    if doc.Outlines.ready < 0:
        doc.Catalog.Outlines = None
    doc.encrypt.prepare(doc)
    catalog_ref, info_ref = doc.Reference(doc.Catalog), doc.Reference(doc.info)
    numbers, objects = doc.numberToId, doc.idToObject
    out = doc.__accum__ = PDFFile(doc._pdfVersion)
    offsets, packed = {}, []
    counter, placeholder_number = 0, None
    while True:  # objects may be added while others are formatted
        counter += 1
        if counter not in numbers:
            break
        obj = objects[numbers[counter]]
        if obj is placeholder:
            placeholder_number = counter
            continue
        body = pdf_format(obj, doc, toplevel=1)
        if body.rstrip().endswith(b"endstream"):
            offsets[counter] = out.add(b"%d 0 obj\n" % counter + body + (b"" if body.endswith(b"\n") else b"\n")
                                       + b"endobj\n")
        else:
            packed.append((counter, body))
    del doc.__accum__
    packed += placeholder_objects(placeholder_number, counter)
    stream_number = max(n for n, _ in packed) + 1
    header, data, position = [], [], 0
    for number, body in packed:
        header.append(f"{number} {position}")
        data.append(body)
        position += len(body) + 1
    head = (" ".join(header) + "\n").encode("latin-1")
    content = zlib.compress(head + b"\n".join(data) + b"\n")
    offsets[stream_number] = out.add(
        f"{stream_number} 0 obj\n<</Type/ObjStm/N {len(packed)}/First {len(head)}/Filter/FlateDecode"
        f"/Length {len(content)}>>\nstream\n".encode("latin-1") + content + b"\nendstream\nendobj\n")
    xref_number = stream_number + 1
    xref_offset = offsets[xref_number] = out.offset
    index = {number: i for i, (number, _) in enumerate(packed)}
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, xref_number + 1):
        if number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
        else:
            rows.append(b"\x02" + stream_number.to_bytes(4, "big") + index[number].to_bytes(2, "big"))
    table = zlib.compress(b"".join(rows))
    ids = doc.ID()
    ids = ids[ids.index(b"["):ids.index(b"]") + 1]
    out.add(f"{xref_number} 0 obj\n<</Type/XRef/Size {xref_number + 1}/W[1 4 2]/Root "
            f"{catalog_ref.format(doc).decode()}/Info {info_ref.format(doc).decode()}/ID ".encode("latin-1")
            + ids + f"/Filter/FlateDecode/Length {len(table)}>>\nstream\n".encode("latin-1") + table
            + f"\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF\n".encode("latin-1"))
    return out.format(doc)


def hold_page(canvas) -> dict:
    """Set the finished page aside (its whole canvas state) and start the next one, so that
    furniture needing the page count ("Page N of M") can be drawn on it at the end."""
    state = dict(canvas.__dict__)
    canvas._startPage()
    return state


def resume_page(canvas, state: dict) -> int:
    """Make a page set aside by hold_page the current one again; returns its number (from 1)."""
    canvas.__dict__.update(state)
    return canvas._pageNumber
