"""Memos around ReportLab functions that are pure but recomputed for every object of every PDF.

`install()` is called once per process before the first document is drawn (never at import).
The bytes ReportLab writes do not change; tests/test_determinism.py builds with and without a
warm cache and compares.
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
