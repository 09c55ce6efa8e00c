"""The print file of `batch --combine`: every document's pages in one PDF, written as it is read.

A library merger (pypdf's PdfWriter) holds every document in memory until it writes: 10,000
documents run out of memory. Here one document is open at a time: its pages and the objects
they use are renumbered and written out at once, and only each object's offset (8 bytes) and
each page's number are kept until the cross-reference table at the end. Form fields are kept
(the catalog's /AcroForm /Fields of every document); the documents' structure trees are not
(a print file is for printing).
"""

from __future__ import annotations

from array import array
from pathlib import Path

from guidebuilder import __version__

CATALOG, PAGES, INFO = 1, 2, 3  # object numbers written last, reserved first
_Renumbered = None  # made when pypdf is first needed (it loads lazily)


def combine_pdfs(paths: list[Path], target: Path) -> None:
    """Write the pages of every PDF in `paths`, in order, to `target` (atomically)."""
    import gc

    from guidebuilder.pdf.write import open_atomic

    collecting = gc.isenabled()
    gc.enable()  # a document's objects and its reader refer to each other: cycles to collect
    try:
        with open_atomic(target) as handle:
            _Writer(handle).write(paths)
    finally:
        if not collecting:
            gc.disable()


def _release(reader) -> None:
    """Break the reader's links to the objects it parsed (they point back at it), so the document
    is freed now rather than at the next cycle collection."""
    for value in vars(reader).values():
        if isinstance(value, (dict, list)):
            value.clear()  # the trailer too: its references point back at the reader
    vars(reader).clear()


def _renumbered_class():
    from pypdf.generic import IndirectObject

    class Renumbered(IndirectObject):
        """A reference already in the print file's numbering."""

    return Renumbered


class _Writer:
    def __init__(self, handle):
        self.out = handle
        self.position = 0
        self.offsets = array("Q", [0, 0, 0])  # offset of object n at index n - 1
        self.kids = array("Q")
        self.fields = array("Q")

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _new_number(self) -> int:
        self.offsets.append(0)
        return len(self.offsets)

    def write(self, paths) -> None:
        self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for path in paths:
            self._copy_document(Path(path))
        self._finish()

    def _copy_document(self, path: Path) -> None:
        """Every object the pages (and form fields) of one document use, renumbered and written."""
        from pypdf import PdfReader
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

        global _Renumbered
        _Renumbered = _Renumbered or _renumbered_class()
        reader = PdfReader(path)
        numbers: dict[tuple[int, int], int] = {}
        queue: list = []

        def number_of(reference) -> int:
            key = (reference.idnum, reference.generation)
            if key not in numbers:
                numbers[key] = self._new_number()
                queue.append(reference)
            return numbers[key]

        def renumbered(value):
            if isinstance(value, _Renumbered):  # a direct object pypdf shares between pages, done once
                return value
            if isinstance(value, IndirectObject):
                return _Renumbered(number_of(value), 0, None)
            if isinstance(value, DictionaryObject):  # streams too: their data is kept as read
                for key in list(value.keys()):
                    value[key] = renumbered(value.raw_get(key))  # raw: value[key] would resolve it
            elif isinstance(value, ArrayObject):
                for i in range(len(value)):
                    value[i] = renumbered(list.__getitem__(value, i))
            return value

        for page in reader.pages:  # flattened: inherited resources and boxes are on each page
            self.kids.append(number_of(page.indirect_reference))
        form = reader.trailer["/Root"].get("/AcroForm")
        for field in (form.get_object().get("/Fields") or []) if form is not None else []:
            if isinstance(field, IndirectObject):
                self.fields.append(number_of(field))
        while queue:
            reference = queue.pop()
            value = reference.get_object()
            page = isinstance(value, DictionaryObject) and value.get("/Type") == "/Page"
            if page:  # its old page tree is not copied: the page joins the print file's
                value.pop(NameObject("/Parent"), None)
                value.pop(NameObject("/StructParents"), None)  # nor is the structure tree
            value = renumbered(value)
            if page:
                value[NameObject("/Parent")] = _Renumbered(PAGES, 0, None)
            self._object(numbers[(reference.idnum, reference.generation)], value)
        _release(reader)

    def _object(self, number: int, value) -> None:
        from io import BytesIO

        self.offsets[number - 1] = self.position
        body = BytesIO()
        value.write_to_stream(body)
        self._emit(f"{number} 0 obj\n".encode() + body.getvalue() + b"\nendobj\n")

    def _raw(self, number: int, body: str) -> None:
        self.offsets[number - 1] = self.position
        self._emit(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))

    def _finish(self) -> None:
        kids = " ".join(f"{n} 0 R" for n in self.kids)
        self._raw(PAGES, f"<< /Type /Pages /Count {len(self.kids)} /Kids [{kids}] >>")
        form = f" /AcroForm << /Fields [{' '.join(f'{n} 0 R' for n in self.fields)}] >>" if self.fields else ""
        self._raw(CATALOG, f"<< /Type /Catalog /Pages {PAGES} 0 R{form} >>")
        self._raw(INFO, f"<< /Creator (guidebuilder {__version__}) /Producer (guidebuilder {__version__}) >>")
        start = self.position
        count = len(self.offsets) + 1
        self._emit(f"xref\n0 {count}\n0000000000 65535 f \n".encode())
        chunk = []
        for offset in self.offsets:
            chunk.append(f"{offset:010d} 00000 n \n")
            if len(chunk) == 512:
                self._emit("".join(chunk).encode())
                chunk = []
        self._emit("".join(chunk).encode())
        self._emit(f"trailer\n<< /Size {count} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\n"
                   f"startxref\n{start}\n%%EOF\n".encode())
