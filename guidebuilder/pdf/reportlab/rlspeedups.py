"""Memos around ReportLab functions that are pure but recomputed for every object of every PDF.

`install()` is called once per process before the first document is drawn (never at import).
The bytes ReportLab writes do not change: tests/test_speedups.py builds with stock ReportLab,
cold and warm caches and compares.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def install() -> None:
    from reportlab.pdfbase import acroform, pdfdoc

    # Every dictionary key of every object is escaped into a name again: a few dozen distinct keys.
    pdfdoc.PDFName = lru_cache(maxsize=1024)(pdfdoc.PDFName)

    # A checkbox's tick path and its six appearance streams depend only on its size and colours,
    # yet are redrawn for every box: the path once per process, the streams once per document
    # (where ReportLab then shares them anyway).
    acroform.CBMark.scaledRender = lru_cache(maxsize=64)(acroform.CBMark.scaledRender)
    appearance = acroform.AcroForm.checkboxAP

    def checkbox_appearance(form, *args, **kwargs):
        memo = form.__dict__.setdefault("_appearances", {})
        key = (args, tuple(sorted(kwargs.items())))  # colours hash and compare by value
        stream = memo.get(key)
        if stream is None:
            stream = memo[key] = appearance(form, *args, **kwargs)
        return stream

    acroform.AcroForm.checkboxAP = checkbox_appearance


_IMAGES: dict = {}  # id(reader) -> (reader, digest, image XObject as first made): a worker's logos


def draw_image(canvas, reader, x: float, y: float, width: float, height: float) -> None:
    """canvas.drawImage(reader, x, y, width, height, mask="auto"), but the image's digest and its
    compressed pixel and alpha streams are made once per process, not once per document (a
    school's logo goes into its handout and its checklist; the bytes written are the same)."""
    import copy

    from reportlab.lib.utils import _digester
    from reportlab.pdfbase import pdfdoc

    hit = _IMAGES.get(id(reader))
    if hit is None or hit[0] is not reader:
        pixels = reader.getRGBData()  # also sets _dataA, the alpha channel's reader
        alpha = reader._dataA
        name = _digester(pixels + (alpha.getRGBData() if alpha else b"auto"))
        image = pdfdoc.PDFImageXObject(name, reader, mask="auto")
        image.name = name
        if len(_IMAGES) >= 32:
            _IMAGES.clear()
        hit = _IMAGES[id(reader)] = (reader, name, image)
    _, name, prototype = hit
    doc = canvas._doc
    canvas._currentPageHasImages = 1
    registered = doc.getXObjectName(name)
    if not doc.idToObject.get(registered):  # as drawImage registers a new image
        image = copy.copy(prototype)  # its streams are shared bytes; the references are this document's
        image.__dict__.pop("_smask", None)
        canvas._setXObjects(image)
        doc.Reference(image, registered)
        doc.addForm(name, image)
        smask = getattr(prototype, "_smask", None)
        if smask is not None:
            mask_name = doc.getXObjectName(smask.name)
            if not doc.idToObject.get(mask_name):
                smask = copy.copy(smask)
                canvas._setXObjects(smask)
                image.smask = doc.Reference(smask, mask_name)
            else:
                image.smask = pdfdoc.PDFObjectReference(mask_name)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(width, height)
    canvas._code.append("/%s Do" % registered)
    canvas.restoreState()
    canvas._formsinuse.append(name)  # the page's resources list it
