"""The stylesheet's `details` section: the finer design numbers live in layouts/base.yaml, not in code.

Every key the stylesheet requires is read by the code, every key the code reads is required (so
a number cannot sit unused in base.yaml, and code cannot read a key a stylesheet may lack), and
the values are checked with file, line and key like the rest of the stylesheet.
"""

import ast
from pathlib import Path

import pytest

import guidebuilder
from guidebuilder.errors import InputError
from guidebuilder.render.stylesheet import DETAILS, load_stylesheet

PACKAGE = Path(guidebuilder.__file__).parent
BASE = PACKAGE.parent / "layouts" / "base.yaml"


def _details_read_by_code() -> set[tuple[str, str]]:
    """Every `<theme>.detail("group", "key")` call in the package, as (group, key)."""
    read = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detail"
                    and len(node.args) == 2 and all(isinstance(a, ast.Constant) for a in node.args)):
                read.add((node.args[0].value, node.args[1].value))
    return read


def test_every_detail_is_read_and_every_read_detail_is_required():
    required = {(group, key) for group, keys in DETAILS.items() for key in keys}
    read = _details_read_by_code() | {("print", "min_type")}  # read via Theme.min_print_size
    assert required - read == set(), "keys in base.yaml's details that no code reads"
    assert read - required == set(), "details the code reads that the stylesheet does not require"


def test_base_yaml_has_exactly_the_required_details():
    sheet = load_stylesheet(BASE)
    assert {g: tuple(v) for g, v in sheet.details.items()} == DETAILS
    assert sheet.details["stripes"] == {"card": 3, "callout": 3.5}
    assert sheet.details["print"]["min_type"] == 7.5


def _sheet_with(tmp_path, old: str, new: str) -> Path:
    text = BASE.read_text()
    assert text.count(old) == 1
    path = tmp_path / "base.yaml"
    path.write_text(text.replace(old, new))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_detail_that_is_not_a_number_is_named_with_its_line(tmp_path):
    path = _sheet_with(tmp_path, "    card: 3 ", "    card: wide ")
    with pytest.raises(InputError) as caught:
        load_stylesheet(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.key, problem.message) == (
        _line_of(path, "card: wide"), "details.stripes.card", 'expected a number above zero, got "wide"')


def test_a_missing_detail_and_a_zero_one_are_both_reported(tmp_path):
    path = _sheet_with(tmp_path, "    callout: 3.5 ", "    callot: 3.5 ")
    path.write_text(path.read_text().replace("    min_type: 7.5 ", "    min_type: 0 "))
    with pytest.raises(InputError) as caught:
        load_stylesheet(path)
    found = {(p.key, p.line, p.message) for p in caught.value.problems}
    assert found == {("details.stripes.callout", _line_of(path, "  stripes:"), "required key is missing"),
                     ("details.stripes.callot", _line_of(path, "callot: 3.5"), "unknown key"),
                     ("details.print.min_type", _line_of(path, "min_type: 0"), 'expected a number above zero, got "0"')}


def test_a_stylesheet_without_details_says_so(tmp_path):
    text = BASE.read_text()
    start, end = text.index("details:"), text.index("neutrals:")
    path = tmp_path / "base.yaml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(InputError) as caught:
        load_stylesheet(path)
    assert [(p.key, p.message) for p in caught.value.problems] == [(
        "details", "required key is missing (copy the details section from the built-in layouts/base.yaml; "
                   "see docs/layouts.md)")]


def test_a_detail_of_your_own_is_refused_as_unused(tmp_path):
    path = _sheet_with(tmp_path, "    card: 3 ", "    card: 3\n    badge: 2 ")
    with pytest.raises(InputError) as caught:
        load_stylesheet(path)
    assert [(p.line, p.key, p.message) for p in caught.value.problems] == [
        (_line_of(path, "badge: 2"), "details.stripes.badge", "unknown key")]


# ---- the whole stylesheet is validated by models, with the messages the docs show ----------------

@pytest.mark.parametrize("old, new, at, key, message", [
    ("h3:          {size: 11.5, leading: 15, weight: bold}", "h3:          {size: 11.5, leading: 15, weight: heavy}",
     "weight: heavy", "type.h3.weight", 'expected one of regular, bold, italic, bold_italic, got "heavy"'),
    ("body:        {size: 10, leading: 13.5}", "body:        {size: 10, leading: 13.5, colour: red}", "colour: red",
     "type.body", "expected {size: N, leading: N, weight: regular|bold|italic|bold_italic} with N above 0"),
    ("body:        {size: 10, leading: 13.5}", "body: {size: 0, leading: 13.5}", "body: {size: 0",
     "type.body", "expected {size: N, leading: N, weight: regular|bold|italic|bold_italic} with N above 0"),
    ("  block: 12 ", "  block: big ", "block: big", "space.block",
     'expected a length like "0.5in", "12mm" or "10pt", got "big"'),
    ('  muted: "#4A525C"', '  muted: "grey"', 'muted: "grey"', "neutrals.muted", 'expected a colour like "#1B1F24"'),
    ("fact_card: primary 9% ", "fact_card: primry 9% ", "primry 9%", "colors.fact_card",
     'expected primary, secondary or accent (with an optional tint like "primary 12%"), a neutral, or "#RRGGBB"; '
     'got "primry 9%"'),
    ("notes_rule: neutral rule", "notes_rule: neutral ink", "neutral ink", "colors.notes_rule",
     'expected primary, secondary or accent (with an optional tint like "primary 12%"), a neutral, or "#RRGGBB"; '
     'got "neutral ink"'),
    ("  gutter: 0.22in ", "  gutters: 0.22in ", "page:", "page.gutter", "required key is missing"),
    ("  bold: SourceSansPro-Semibold.ttf", "  bold: [a, b]", "bold: [a, b]", "fonts.bold", "expected text, got a list"),
    ("\nspace:", "\nspaces:", "spaces:", "spaces", "unknown key"),
])
def test_a_stylesheet_problem_is_named_at_its_line(tmp_path, old, new, at, key, message):
    path = _sheet_with(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_stylesheet(path)
    problems = caught.value.problems if key != "spaces" else [p for p in caught.value.problems if p.key == key]
    assert [(p.line, p.key, p.message) for p in problems] == [(_line_of(path, at), key, message)]


def test_styles_and_roles_of_your_own_are_taken_and_checked(tmp_path):
    path = _sheet_with(tmp_path, "  band:        {size: 8.5", "  caption: {size: 8, leading: 10}\n  band:        {size: 8.5")
    sheet = load_stylesheet(path)
    assert (sheet.type["caption"].size, sheet.type["caption"].leading, sheet.type["caption"].weight) == (8, 10, "regular")
    assert isinstance(sheet.type["caption"].size, int) and sheet.type["h3"].size == 11.5
    assert sheet.page["margin"] == 0.65 * 72 and sheet.colors["fact_card"] == "primary 9%"


def _numbers_typed_in_components() -> list[str]:
    """Number literals in the components where a design number would be typed: a spacing keyword
    (spaceAfter=3) or a stylesheet value multiplied by a factor (space("paragraph") * 0.5)."""
    found = []
    for path in sorted((PACKAGE / "render" / "components").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg in ("spaceAfter", "spaceBefore") \
                    and isinstance(node.value, ast.Constant) and node.value.value != 0:
                found.append(f"{path.name}:{node.value.lineno}: {node.arg}={node.value.value}")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                sides = (node.left, node.right)
                reads_sheet = any(isinstance(s, ast.Call) and isinstance(s.func, ast.Attribute)
                                  and s.func.attr in ("space", "page") for s in sides)
                factors = [s.value for s in sides if isinstance(s, ast.Constant) and s.value not in (1, 2)]
                if reads_sheet and factors:
                    found.append(f"{path.name}:{node.lineno}: x {factors[0]}")
    return found


def test_components_type_no_design_numbers():
    assert _numbers_typed_in_components() == []
