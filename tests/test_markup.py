"""Inline text: literal characters print as typed; the Markdown subset becomes bold, italic, links."""

from __future__ import annotations

import pytest
from lxml import etree
from markupsafe import Markup

from pdfhelpers import contains_text, guide_data, resolve, squash

# ---- guidebuilder.template.jinja.inline_markdown (unit) --------------------------------------------


def md(text):
    from guidebuilder.template import inline_markdown

    return inline_markdown(text)


def as_xml(markup: str):
    """The markup as an XML element (it must be well formed)."""
    return etree.fromstring(f"<p>{markup}</p>".encode("utf-8"))


@pytest.mark.parametrize("text,expected", [
    ("**strong**", "<b>strong</b>"),
    ("*emphasis*", "<i>emphasis</i>"),
    ("[AAPC](https://www.aapc.com)", '<a href="https://www.aapc.com">AAPC</a>'),
    ("a **b** c *d* e", "a <b>b</b> c <i>d</i> e"),
])
def test_inline_markdown_subset(text, expected):
    out = md(text)
    assert isinstance(out, Markup)
    assert str(out) == expected


def test_inline_markdown_link_inside_strong():
    root = as_xml(md("**read [the guide](https://example.org/a?b=1&c=2) now**"))
    bold = root.find("b")
    assert bold is not None
    link = bold.find("a")
    assert link is not None
    assert link.get("href") == "https://example.org/a?b=1&c=2"
    assert link.text == "the guide"
    assert "".join(root.itertext()) == "read the guide now"


@pytest.mark.parametrize("text", [
    "<para>",
    "a < b & c > d",
    "&amp;",
    '"quotes"',
    "'single'",
    "<b>not bold</b> & <a href='x'>not a link</a>",
    "]]> <![CDATA[ x ]]>",
    "&#60; &lt; &unknown;",
    "2 * 3 * 4 and a*b*c and snake_case",
    "**unclosed and *unclosed",
    "[label](javascript:alert(1))",
    "[label](ftp://example.org)",
])
def test_literal_text_round_trips_exactly(text):
    """Anything outside the subset is escaped: as XML its text is exactly what was typed."""
    root = as_xml(md(text))
    assert len(root) == 0, f"{text!r} produced elements: {md(text)!r}"
    assert root.text == text


def test_no_markdown_for_none():
    assert str(md(None)) == ""


def test_jinja_does_not_escape_the_result_twice():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(autoescape=True)
    env.filters["md"] = md
    out = env.from_string("<p>{{ t|md }}</p>").render(t="**a** & <b>")
    assert out == "<p><b>a</b> &amp; &lt;b&gt;</p>"


# ---- literal text in the PDF (8) -----------------------------------------------------------

LITERALS = {
    "title": 'The <para> guide & "quotes"',
    "summary": "Literal a < b & c > d, then &amp; and \"quotes\" and 'single' ones, and <para>x</para>.",
    "bullet": "Bullet <b>not bold</b> with &amp; and 'single' & \"double\" and a < b & c > d",
    "fact_label": 'label <i>x</i> & "y"',
    "step_title": "Step 'one' & <two>",
    "callout_title": 'Call <out> & "this"',
    "item": "Item a < b & 'c' &amp;",
    "detail": 'Detail "d" & <e> &amp;',
}


@pytest.fixture(scope="module")
def literal_docs(build_guide):
    data = guide_data()
    data["title"] = LITERALS["title"]
    data["summary"] = LITERALS["summary"]
    data["sections"][1]["body"][1]["bullets"][0] = LITERALS["bullet"]
    data["key_facts"][0]["label"] = LITERALS["fact_label"]
    data["pathway"][0]["title"] = LITERALS["step_title"]
    callouts = [b for s in data["sections"] for b in s["body"] if isinstance(b, dict) and "callout" in b]
    callouts[0]["callout"]["title"] = LITERALS["callout_title"]
    data["checklist"]["groups"][0]["items"][0] = {"text": LITERALS["item"], "detail": LITERALS["detail"]}
    return {layout: build_guide(data, layout) for layout in ("handout", "checklist")}


@pytest.mark.parametrize("field", ["title", "summary", "bullet", "fact_label", "step_title", "callout_title"])
def test_literal_text_prints_as_typed_in_handout(literal_docs, field):
    text = literal_docs["handout"].text
    assert contains_text(text, LITERALS[field]), f"{LITERALS[field]!r} not in handout text"


@pytest.mark.parametrize("field", ["item", "detail"])
def test_literal_text_prints_as_typed_in_checklist(literal_docs, field):
    assert contains_text(literal_docs["checklist"].text, LITERALS[field])


def test_literal_title_in_metadata(literal_docs):
    assert literal_docs["handout"].reader.metadata.get("/Title") == LITERALS["title"]
    assert literal_docs["checklist"].reader.metadata.get("/Subject", "").startswith(LITERALS["title"])


def test_escaped_entities_are_not_decoded(literal_docs):
    """'&amp;' typed in the guide prints as '&amp;', not as '&'."""
    squashed = squash(literal_docs["handout"].text)
    assert squash("then &amp; and") in squashed
    assert squash("then & and") not in squashed


# ---- the Markdown subset in the PDF (9) ------------------------------------------------------

PARAGRAPH = ("Coders need **strong focus** and *steady emphasis*; see [AAPC](https://www.aapc.com) "
             "or [the BLS page](https://www.bls.gov/search?q=coder&x=1) for more.")
PLAIN = "Coders need strong focus and steady emphasis; see AAPC or the BLS page for more."


@pytest.fixture(scope="module")
def markdown_doc(build_guide):
    data = guide_data()
    data["sections"][0]["body"].insert(0, PARAGRAPH)
    doc = build_guide(data, "handout")
    page_no = next(i for i, page in enumerate(doc.pages) if contains_text(page.extract_text(), "strong focus"))
    return doc, doc.pages[page_no]


def test_markdown_text_prints_without_markers(markdown_doc):
    doc, page = markdown_doc
    assert contains_text(page.extract_text(), PLAIN)
    text = doc.text
    for marker in ("**strong", "*steady", "[AAPC]", "](https", "emphasis*"):
        assert marker not in text


def _links(page):
    out = []
    for annot in resolve(page.get("/Annots")) or []:
        annot = resolve(annot)
        if annot.get("/Subtype") == "/Link":
            action = resolve(annot.get("/A")) or {}
            out.append(action.get("/URI"))
    return out


def test_markdown_links_are_uri_annotations(markdown_doc):
    _, page = markdown_doc
    links = _links(page)
    assert "https://www.aapc.com" in links
    assert "https://www.bls.gov/search?q=coder&x=1" in links


def test_markdown_strong_and_emphasis_use_other_faces(markdown_doc):
    _, page = markdown_doc
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            runs.append((text, str(font.get("/BaseFont"))))

    page.extract_text(visitor_text=visit)

    def face_of(words):
        found = [f for t, f in runs if words in t]
        assert found, f"no text run holds {words!r}: {runs[:40]}"
        return found[0]

    regular = face_of("Coders need")
    bold = face_of("strong focus")
    italic = face_of("steady emphasis")
    assert bold != regular and ("Bold" in bold or "Semibold" in bold), (regular, bold)
    assert italic != regular and ("It" in italic.rsplit("-", 1)[-1] or "Italic" in italic), (regular, italic)


# ---- the subset in fields carried as layout attributes ------------------------------------------

FIELDS = {
    "fact_label": ("handout", "median **yearly** pay"),
    "step_title": ("handout", "Finish **high** school"),
    "callout_title": ("handout", "Look for *CAHIIM*"),
    "group_heading": ("checklist", "In **high** school"),
    "item_detail": ("checklist", "Anatomy *words* matter, see [AAPC](https://www.aapc.com)"),
}


@pytest.fixture(scope="module")
def attribute_markdown_docs(build_guide):
    data = guide_data()
    data["key_facts"][0]["label"] = FIELDS["fact_label"][1]
    data["pathway"][0]["title"] = FIELDS["step_title"][1]
    callouts = [b for s in data["sections"] for b in s["body"] if isinstance(b, dict) and "callout" in b]
    callouts[0]["callout"]["title"] = FIELDS["callout_title"][1]
    data["checklist"]["groups"][0]["heading"] = FIELDS["group_heading"][1]
    data["checklist"]["groups"][0]["items"][0] = {"text": "Take biology", "detail": FIELDS["item_detail"][1]}
    return {layout: build_guide(data, layout) for layout in ("handout", "checklist")}


@pytest.mark.parametrize("field", list(FIELDS))
def test_markdown_subset_in_attribute_fields(attribute_markdown_docs, field):
    from pdfhelpers import plain_markdown

    layout, value = FIELDS[field]
    text = attribute_markdown_docs[layout].text
    assert not contains_text(text, value), f"{value!r} printed with its Markdown markers"
    assert contains_text(text, plain_markdown(value))
