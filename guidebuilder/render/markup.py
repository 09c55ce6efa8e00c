"""Escaping for ReportLab paragraph markup (xml.sax.saxutils would pull in urllib at start-up)."""

from __future__ import annotations

import html


def escape(text: str) -> str:
    """&, < and > as entities: the text prints as typed."""
    return html.escape(text, quote=False)


def quoteattr(text: str) -> str:
    """A double-quoted attribute value."""
    return '"' + html.escape(text, quote=True) + '"'


def unescape(text: str) -> str:
    return html.unescape(text)
