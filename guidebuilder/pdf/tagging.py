"""Tagged PDF (PDF/UA-1): the structure tree, marked content and artifacts, in one place.

How it fits together:

* Layout components say what their flowables are with `tag(flowable, role, alt=...)` (and
  `tag_list(...)` for a list drawn as rows). That only records a `Node` on the flowable: nothing
  here runs while the story is built, except `tag()` of a ReportLab ListFlowable or Table,
  which wires their bullets / rows to nodes.
* Flowables that paint content inherit `Tagged`: when drawn on a `TaggedCanvas` their drawing
  is wrapped in `/Role <</MCID n>> BDC ... EMC` and the id is recorded for the page.
  Flowables that paint decoration (fills, rules, ruled lines, page furniture) wrap that
  painting in `artifact(canvas)`, which is a no-op on any other canvas.
* Nodes are ordered by when they were created (markup order), not by when they were drawn,
  so the reading order stays logical across columns and brochure panels. A node without an
  explicit parent hangs from the element being drawn around it (a table cell) or the Document.
* `TaggedCanvas.save()` writes the tree through ReportLab's own object references: the
  StructTreeRoot with its ParentTree, /MarkInfo, XMP metadata (dc:title, pdfuaid:part 1),
  /StructParents and /Tabs /S on the pages, /StructParent on annotations, PDF 1.7.

The ReportLab internals this relies on are reached through guidebuilder/pdf/reportlab/
(canvas.py: content-stream operators, page and annotation hooks, the file writer; platypus.py:
list items and table render callbacks). Besides those it relies on PDFCatalog's StructTreeRoot /
MarkInfo / Metadata slots, Paragraph.split building its parts with self.__class__ and Table's
renderCB being passed on to the parts of a split table (each covered by tests/test_tagging.py).
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager, nullcontext
from guidebuilder.render.markup import escape as _xml_escape

from guidebuilder.pdf.reportlab import platypus
from guidebuilder.pdf.reportlab.canvas import (HookedCanvas, declare_page_keys, emit, object_number, packed_pdf_data,
                                               page_index, page_reference, pdf_document)

PDF_VERSION = (1, 7)

_counter = itertools.count()


class Node:
    """One structure element: its role, alt text, parent and the content marked for it."""

    __slots__ = ("role", "alt", "parent", "seq", "items", "attrs", "kids", "ref")

    def __init__(self, role: str, alt: str | None = None, parent: "Node | None" = None, seq=None, attrs=None):
        self.role, self.alt, self.parent = role, alt, parent
        self.seq = next(_counter) if seq is None else seq
        self.items = []      # (page index, mcid) or (page index, annotation reference)
        self.attrs = attrs
        self.kids = None
        self.ref = None

    def __repr__(self):
        return f"<Node {self.role} #{self.seq}>"


# -- what the layout components call --------------------------------------------------------

def tag(flowable, role: str, alt: str | None = None, parent: Node | None = None):
    """Give `flowable` a structure role (and alt text); returns the flowable."""
    from reportlab.platypus import ListFlowable, Table

    if isinstance(flowable, ListFlowable):
        _tag_list_flowable(flowable, parent)
    elif isinstance(flowable, Table):
        platypus.set_render_callback(flowable, _TableTags(Node(role, parent=parent), 1 if flowable.repeatRows else 0))
    else:
        # A top-level element reads where its flowable was made; one in a group, where it was put.
        flowable._tag = Node(role, alt, parent, seq=None if parent else getattr(flowable, "_seq", None))
    return flowable


def tag_list(items, parent: Node | None = None) -> Node:
    """L > LI > Lbl + LBody for a list laid out by hand: `items` are (label flowable or None,
    [body flowables]). A label that is a form field (a tick box) sits in the Lbl as a Form."""
    lst = Node("L", parent=parent)
    for label, body in items:
        li = Node("LI", parent=lst)
        if label is not None:
            if getattr(label, "tag_role", None) == "Form":
                tag(label, "Form", parent=Node("Lbl", parent=li))
            else:
                tag(label, "Lbl", parent=li)
        lbody = Node("LBody", parent=li)
        for flowable in body:
            if getattr(flowable, "tag_role", None):
                node = flowable.__dict__.get("_tag")
                if node is None:
                    tag(flowable, flowable.tag_role, parent=lbody)
                else:
                    node.parent = lbody
    return lst


@contextmanager
def _artifact(tagger, canvas, kind):
    tagger.artifacts += 1
    emit(canvas, f"/Artifact <</Type /{kind}>> BDC" if kind else "/Artifact BMC")
    try:
        yield
    finally:
        emit(canvas, "EMC")
        tagger.artifacts -= 1


def artifact(canvas, kind: str | None = None):
    """Mark what is painted inside the `with` block as an artifact (decoration, furniture)."""
    tagger = getattr(canvas, "_tagger", None)
    if tagger is None or tagger.artifacts or tagger.open is not None:
        return nullcontext()
    return _artifact(tagger, canvas, kind)


# -- flowables ------------------------------------------------------------------------------

class Tagged:
    """Mixin for flowables that paint real content: their drawing becomes one marked-content
    sequence of their node (or of a node of `tag_role` made when first drawn)."""

    tag_role = "P"

    def __init__(self, *args, **kwargs):
        self._seq = next(_counter)  # creation order is reading order
        super().__init__(*args, **kwargs)

    def _node(self) -> Node:
        node = self.__dict__.get("_tag")
        if node is None:
            node = self._tag = Node(self.tag_role, seq=self._seq)
        return node

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        if len(parts) > 1:  # the parts stay one element; the instance attributes do not survive
            node = self._node()
            for part in parts:
                part._tag, part._seq = node, self._seq
        return parts

    def drawOn(self, canvas, x, y, _sW=0):
        tagger = getattr(canvas, "_tagger", None)
        if tagger is None or tagger.artifacts or tagger.open is not None:
            return super().drawOn(canvas, x, y, _sW)
        tagger.begin(canvas, self._node())
        try:
            super().drawOn(canvas, x, y, _sW)
        finally:
            tagger.end(canvas)


class _MarkedBullet:
    """A list bullet (ReportLab's BulletDrawer) drawn as the content of the item's Lbl."""

    def __init__(self, bullet, node: Node):
        self.bullet, self.node = bullet, node

    def drawOn(self, indenter, canvas, x, y, _sW=0):
        tagger = getattr(canvas, "_tagger", None)
        if tagger is None or tagger.artifacts or tagger.open is not None:
            return self.bullet.drawOn(indenter, canvas, x, y, _sW)
        tagger.begin(canvas, self.node)
        try:
            self.bullet.drawOn(indenter, canvas, x, y, _sW)
        finally:
            tagger.end(canvas)


def _tag_list_flowable(flowable, parent):
    lst = Node("L", parent=parent)
    for item in platypus.list_items(flowable):  # one per item (a split keeps the bullet on the first part)
        li = Node("LI", parent=lst)
        bullet = platypus.item_bullet(item)
        if bullet is not None:
            platypus.set_item_bullet(item, _MarkedBullet(bullet, Node("Lbl", parent=li)))
        tag(platypus.item_body(item), "LBody", parent=li)


class _TableTags:
    """Table's render callback: Table > TR > TH (Scope Column) / TD; backgrounds, lines and
    the header rows a split table repeats are artifacts. Shared by the parts of a split table."""

    def __init__(self, node: Node, header_rows: int):
        self.node, self.header_rows = node, header_rows
        self.parts = self.next_row = 0
        self.row = self.cell = None
        self.repeat = 0

    def __call__(self, table, cmd, *args):
        tagger = getattr(table.canv, "_tagger", None)
        if tagger is not None:
            getattr(self, cmd)(tagger, table.canv, *args)

    def startTable(self, tagger, canvas):
        self.repeat = self.header_rows if self.parts else 0
        self.parts += 1
        tagger.attach(self.node)

    def startBG(self, tagger, canvas):
        self._bg = artifact(canvas)
        self._bg.__enter__()

    def endBG(self, tagger, canvas):
        self._bg.__exit__(None, None, None)

    startLines, endLines = startBG, endBG

    def startRow(self, tagger, canvas, row_no):
        if row_no < self.repeat:
            self.row = None
            self._bg = artifact(canvas, "Pagination")
            self._bg.__enter__()
        else:
            self.row = Node("TR", parent=self.node)
            self.header = self.next_row < self.header_rows
            self.next_row += 1

    def endRow(self, tagger, canvas):
        if self.row is None:
            self._bg.__exit__(None, None, None)

    def startCell(self, tagger, canvas, row_no, col_no, value, style, pos, size):
        if self.row is None:
            return
        role = "TH" if self.header else "TD"
        self.cell = Node(role, parent=self.row, attrs={"O": "Table", "Scope": "Column"} if self.header else None)
        tagger.stack.append(self.cell)
        self.text_cell = isinstance(value, str) and value.strip()
        if self.text_cell:
            tagger.begin(canvas, self.cell)

    def endCell(self, tagger, canvas):
        if self.row is None:
            return
        if self.text_cell:
            tagger.end(canvas)
        tagger.stack.pop()

    def endTable(self, tagger, canvas):
        pass


# -- the canvas -----------------------------------------------------------------------------

class _Tagger:
    """The per-document tagging state that outlives pages."""

    def __init__(self):
        self.root = Node("Document", seq=-1)
        self.stack = [self.root]     # elements drawn around what is drawn now (table cells)
        self.open = None             # the node whose marked content is open
        self.artifacts = 0           # depth of open artifact sequences
        self.pages = {}              # page index -> (nodes by MCID)
        self.annotations = []        # (annotation dict, page index, node)
        self.tree = None             # the StructTreeRoot placeholder, written last

    def attach(self, node: Node) -> None:
        """Hang a parentless node (or its parentless ancestor) from the element drawn around it."""
        n = node
        while n is not self.root:
            if n.parent is None:
                n.parent = self.stack[-1] if self.stack[-1] is not n else self.root
                return
            n = n.parent

    def begin(self, canvas, node: Node) -> None:
        self.attach(node)
        marks = canvas._page_marks
        mcid = len(marks)
        marks.append(node)
        node.items.append((page_index(canvas), mcid))
        emit(canvas, f"/{node.role} <</MCID {mcid}>> BDC")
        self.open = node

    def end(self, canvas) -> None:
        emit(canvas, "EMC")
        self.open = None


class TaggedCanvas(HookedCanvas):
    """A canvas that writes a tagged PDF: marked content, structure tree, PDF/UA metadata."""

    def __init__(self, *args, **kwargs):
        kwargs["pdfVersion"] = PDF_VERSION
        self._tagger = _Tagger()
        self._page_marks = []
        self._lang = kwargs.get("lang") or "en"
        super().__init__(*args, **kwargs)

    def page_started(self):
        self._page_marks = []

    def linkURL(self, url, rect, relative=0, thickness=0, color=None, dashArray=None, kind="URI", **kw):
        from reportlab.pdfbase.pdfdoc import PDFString

        kw.setdefault("Contents", PDFString(url))  # the link's alternate description
        self._annotation_kind = "Link"
        try:
            super().linkURL(url, rect, relative, thickness, color, dashArray, kind, **kw)
        finally:
            self._annotation_kind = None

    def annotation_added(self, annotation, reference, addtopage):
        tagger = self._tagger
        if not addtopage or tagger.artifacts:
            return
        kind = getattr(self, "_annotation_kind", None) or "Form"
        owner = tagger.open or tagger.stack[-1]
        if kind == "Form" and owner.role == "Form":
            node = owner
        else:
            node = Node(kind, parent=owner)
        node.items.append((page_index(self), reference))
        tagger.annotations.append((annotation, page_index(self), node))

    def page_finishing(self, page, has_annotations):
        from reportlab.pdfbase.pdfdoc import PDFName

        index = page_index(self)
        declare_page_keys(page, ["StructParents", "Tabs"])
        page.StructParents = index
        if has_annotations:
            page.Tabs = PDFName("S")
        self._tagger.pages[index] = self._page_marks

    def save(self):
        self.show_page_if_drawn()
        _write_structure(self)
        tagger = self._tagger
        data = packed_pdf_data(self, tagger.tree, lambda tree_number, last: _structure_objects(
            tagger, pdf_document(self), tree_number, last))
        self.write_out(data)


def _write_structure(canvas) -> None:
    """Settle the tree (which elements have content, their kids in reading order) and give the
    catalog its StructTreeRoot, MarkInfo and XMP metadata."""
    from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFObject, XMP

    tagger, doc = canvas._tagger, pdf_document(canvas)
    used = set()
    for node in [n for marks in tagger.pages.values() for n in marks] + [a[2] for a in tagger.annotations]:
        while node is not None and node not in used:
            used.add(node)
            node = node.parent
    tagger.root.kids = []  # a document of artifacts only (a lone rule) has an empty tree
    for node in used:
        node.kids = []
    for node in sorted(used, key=lambda n: n.seq):
        if node.parent is not None:
            node.parent.kids.append(node)
    key = max(tagger.pages, default=-1) + 1
    for annotation, _, _ in tagger.annotations:
        annotation["StructParent"] = key
        key += 1
    tree = type("StructTreeRoot", (PDFObject,), {"format": lambda self, document: b""})()
    doc.Reference(tree, "StructTreeRoot")
    tagger.tree = tree
    catalog = doc.Catalog
    catalog.StructTreeRoot = tree
    catalog.MarkInfo = PDFDictionary({"Marked": "true"})
    info = doc.info
    catalog.Metadata = XMP(creator=lambda _doc: _xmp(info.title, info.author, info.subject, info.producer,
                                                      canvas._lang))


def _structure_objects(tagger, doc, tree_number: int, first: int) -> list[tuple[int, bytes]]:
    """The StructTreeRoot and the structure elements (numbered from `first`) as (number, bytes)."""
    from reportlab.pdfbase.pdfdoc import PDFString

    order = []

    def number(node):
        node.ref = first + len(order)
        order.append(node)
        for kid in node.kids:
            number(kid)

    number(tagger.root)
    pages = {}

    def page(index):
        ref = pages.get(index)
        if ref is None:
            ref = pages[index] = page_reference(doc, index)
        return ref

    objects = []
    for node in order:
        parent = node.parent.ref if node.parent is not None else tree_number
        out = [f"<</S/{node.role}/P {parent} 0 R"]
        first_page = node.items[0][0] if node.items else None
        if first_page is not None:
            out.append("/Pg " + page(first_page))
        if node.alt:
            out.append("/Alt " + PDFString(node.alt).format(doc).decode("latin-1"))
        if node.attrs:
            out.append("/A<<" + "".join(f"/{k}/{v}" for k, v in node.attrs.items()) + ">>")
        kids = []
        for item_page, item in node.items:
            if isinstance(item, int):
                kids.append(str(item) if item_page == first_page else
                            f"<</Type/MCR/Pg {page(item_page)}/MCID {item}>>")
            else:
                kids.append(f"<</Type/OBJR/Obj {object_number(doc, item)} 0 R/Pg {page(item_page)}>>")
        kids += [f"{kid.ref} 0 R" for kid in node.kids]
        if kids:
            out.append("/K " + (kids[0] if len(kids) == 1 else "[" + " ".join(kids) + "]"))
        out.append(">>")
        objects.append((node.ref, "".join(out).encode("latin-1")))
    nums = [f"{index} [" + " ".join(f"{n.ref} 0 R" for n in tagger.pages[index]) + "]"
            for index in sorted(tagger.pages)]
    key = max(tagger.pages, default=-1) + 1
    for _, _, node in tagger.annotations:
        nums.append(f"{key} {node.ref} 0 R")
        key += 1
    objects.append((tree_number, (f"<</Type/StructTreeRoot/K {tagger.root.ref} 0 R/ParentTree<</Nums["
                                  + " ".join(nums) + f"]>>/ParentTreeNextKey {key}>>").encode("latin-1")))
    return objects


def _xmp(title, author, subject, producer, lang) -> bytes:
    def x(text):
        return _xml_escape(str(text or ""))

    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{x(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{x(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{x(subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{x(lang)}</rdf:li></rdf:Bag></dc:language>
   <pdf:Producer>{x(producer)}</pdf:Producer>
   <pdfuaid:part>1</pdfuaid:part>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")
