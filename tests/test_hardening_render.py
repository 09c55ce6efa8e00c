"""Issue 11, template and render stages: hostile layouts and texts cost bounded time and memory,
and what used to be an internal error is an error at the template or YAML line.

The corpus (tests/bad_inputs/220-238) runs each case through the CLI; these tests pin the limits
at their edges and check that the bounds change nothing for layouts within them.
"""

from __future__ import annotations

import time

import pytest

from guidebuilder.render.components.base import MarkupError, numbers
from guidebuilder.errors import InputError
from guidebuilder.template.jinja import MAX_CALLS, MAX_MARKUP, MAX_STEPS, inline_markdown
from pdfhelpers import render_layout_text


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    monkeypatch.setenv("GUIDEBUILDER_NO_CACHE", "1")


render = render_layout_text


def problem_of(exc_info) -> tuple[int | None, str]:
    [problem] = exc_info.value.problems
    return problem.line, problem.message


# ---- inline Markdown: linear, and the same markup as before ------------------------------------


@pytest.mark.parametrize("text", ["[" * 40_000, "[a](https://b" * 5_000, "[" + "a" * 40_000, "](" * 20_000,
                                  "*a " * 20_000, "**a \n" * 10_000])
def test_inline_markdown_reads_hostile_text_in_linear_time(text):
    start = time.perf_counter()
    inline_markdown(text + " ")  # a text not seen before (the function caches)
    assert time.perf_counter() - start < 1.0  # "[" * 40,000 took 18 s with the quadratic pattern


def test_brackets_without_a_link_print_as_typed():
    assert str(inline_markdown("[" * 10)) == "[" * 10
    assert str(inline_markdown("[[x] and ]")) == "[[x] and ]"


@pytest.mark.parametrize("text, markup", [
    ("see [the **BLS** page](https://bls.gov/ooh) now", 'see <a href="https://bls.gov/ooh">the <b>BLS</b> page</a> now'),
    ("[a](https://x.org/a?b=1) and [c](http://y.org)",
     '<a href="https://x.org/a?b=1">a</a> and <a href="http://y.org">c</a>'),
    ("[w](https://en.wikipedia.org/wiki/Foo_(bar))", '<a href="https://en.wikipedia.org/wiki/Foo_(bar">w</a>)'),
    ("**bold** and *em* & <tag>", "<b>bold</b> and <i>em</i> &amp; &lt;tag&gt;"),
])
def test_links_and_emphasis_are_unchanged(text, markup):
    assert str(inline_markdown(text)) == markup


# ---- <table widths> -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["inf,1", "1,-inf", "nan,1", "1e308,1e308", "1001,1", "0,1", "-1,2"])
def test_table_widths_must_be_finite_positive_and_sane(text):
    with pytest.raises(ValueError, match=r"^expected numbers above zero and at most 1000$"):
        numbers(text)


def test_table_widths_within_the_limits_are_read():
    assert numbers("1,1,2") == [1.0, 1.0, 2.0]
    assert numbers("0.5,1000") == [0.5, 1000.0]


# ---- bounded templates ------------------------------------------------------------------------


def test_loops_inside_loops_stop_at_the_step_limit_at_the_inner_loops_line(tmp_path):
    source = "{% set xs = range(2000)|list %}\n{% for a in xs %}\n{% for b in xs %}{% endfor %}\n{% endfor %}\n"
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        render(tmp_path, source)
    assert time.perf_counter() - start < 10  # 4,000,000 steps would run on; the limit is 1,000,000
    assert problem_of(caught) == (3, f"template error: the layout takes too long: over {MAX_STEPS:,} loop steps "
                                     f"in one document; look for loops inside loops")


def test_loops_up_to_the_step_limit_run_one_more_step_is_an_error(tmp_path):
    inner = MAX_STEPS // 1000 - 1  # 1,000 outer steps and 1,000 x 999 inner ones: the limit exactly
    source = "{% for a in range(1000) %}{% for b in range(" + str(inner) + ") %}{% endfor %}{% endfor %}ok"
    assert render(tmp_path, source) == "ok"
    with pytest.raises(InputError) as caught:
        render(tmp_path, source + "\n{% for c in [1] %}{% endfor %}")
    assert problem_of(caught)[0] == 2


@pytest.mark.slow  # 100,000 macro calls: about 3 s
def test_calls_stop_at_the_call_limit(tmp_path):
    source = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}\n{{ f(30) }}"
    # the line of the macro that calls itself
    with pytest.raises(InputError) as caught:
        render(tmp_path, source)
    assert problem_of(caught) == (1, f"template error: the layout takes too long: over {MAX_CALLS:,} calls in one "
                                     f"document; look for a macro that calls itself")


def test_counted_loops_behave_as_before(tmp_path):
    """Every {% for %} now iterates through a counter: its loop variable, else branch, filters,
    recursion and constant lists work as they did."""
    source = ("{% for x in [1, 2, 3] %}{{ loop.index }}/{{ loop.length }}{{ '.' if loop.last }} {% endfor %}|"
              "{% for x in [] %}x{% else %}empty{% endfor %}|"
              "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}|"
              "{% for x in 'ab' if x != 'a' %}{{ x }}{{ loop.revindex }}{% endfor %}|"
              "{% for n in tree recursive %}{{ n.name }}({{ loop(n.kids) }}){% endfor %}|"
              "{% for c in range(3)|batch(2) %}{{ c|join(',') }};{% endfor %}")
    tree = [{"name": "r", "kids": [{"name": "k", "kids": []}]}]
    assert render(tmp_path, source, tree=tree) == "1/3 2/3 3/3. |empty|a=1|b1|r(k())|0,1;2;"


@pytest.mark.parametrize("expression, printed", [("2 ** 10", "1024"), ("2 ** -1", "0.5"), ("10 ** 3999", "1" + "0" * 3999),
                                                 ("'ab' * 3", "ababab"), ("3 * 'x'", "xxx"), ("[0] * 2", "[0, 0]"),
                                                 ("6 * 7", "42"), ("'%05d' % 42", "00042"), ("'%.2f' % 1.5", "1.50"),
                                                 ("7 % 4", "3"), ("'x'|center(5) ~ '|'", "  x  |"),
                                                 ("'{:>3}'.format(1)", "  1"), ("[1, 2, 3]|slice(2)|list", "[[1, 2], [3]]"),
                                                 ("'%3d'|format(1)", "  1"), ("'x'.ljust(3) ~ '|'", "x  |"),
                                                 ("lipsum(1, html=false)|wordcount > 10", "True")])
def test_powers_products_and_formats_of_sane_size_work(tmp_path, expression, printed):
    assert render(tmp_path, "{{ %s }}" % expression) == printed


@pytest.mark.parametrize("expression, message", [
    ("9 ** (9 ** 9)", "9 ** 387420489 would have over 4,000 digits"),
    ("10 ** 4000", "10 ** 4000 would have over 4,000 digits"),
    ("'x' * 3000000", "repeated 3,000,000 times, it would be 3,000,000 characters or items long, over the "
                      "1,000,000 limit"),
    ("(10 ** 3000) * (10 ** 3000)", "the product would have over 4,000 digits"),
    ("'%999999999d' % 1", 'the format "%999999999d" pads to a huge width; use a width under 10,000'),
    ("'%.99999f' % 1", 'the format "%.99999f" pads to a huge width; use a width under 10,000'),
    ("'%*d' % (999999999, 1)", 'the format "%*d" pads to a huge width; use a width under 10,000'),
    ("'%999999999d'|format(1)", 'the format "%999999999d" pads to a huge width; use a width under 10,000'),
    ("'{:>999999999}'.format(1)", 'the format "{:>999999999}" pads to a huge width; use a width under 10,000'),
    ("'x'|center(999999999)", "|center with a number of 10,000 or more would build a huge value"),
    ("[1]|slice(1000000000)|list", "|slice with a number of 10,000 or more would build a huge value"),
    ("'x'.ljust(999999999)", "ljust with a number of 10,000 or more would build a huge value"),
    ("lipsum(1000000000)", "generate_lorem_ipsum with a number of 10,000 or more would build a huge value"),
])
def test_huge_values_are_refused_before_they_are_computed(tmp_path, expression, message):
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        render(tmp_path, "<document>\n{{ %s }}\n" % expression)
    assert time.perf_counter() - start < 5
    assert problem_of(caught) == (2, f"not allowed in a layout: {message}")


def test_markup_stops_at_its_size_limit_at_the_line_writing_it(tmp_path):
    source = "<document>\n{% for i in range(1000) %}\n{{ 'x' * 10000 }}\n{% endfor %}\n"
    with pytest.raises(InputError) as caught:
        render(tmp_path, source)
    assert problem_of(caught) == (3, f"the layout writes over {MAX_MARKUP:,} characters of markup (stopped here); "
                                     f"look for loops that repeat too much")


def test_markup_up_to_its_size_limit_is_written(tmp_path):
    assert len(render(tmp_path, "{{ 'x' * %d }}" % MAX_MARKUP)) == MAX_MARKUP


# ---- markup limits ------------------------------------------------------------------------------


def test_elements_up_to_the_limit_are_read_one_more_is_an_error():
    from guidebuilder.render.parse import MAX_ELEMENTS, parse_markup

    def markup(count):  # the document and count - 1 rules, one a line
        return "<document title='x'>\n" + "<rule/>\n" * (count - 1) + "</document>"

    assert len(parse_markup(markup(MAX_ELEMENTS)).kids) == MAX_ELEMENTS - 1
    with pytest.raises(MarkupError) as caught:
        parse_markup(markup(MAX_ELEMENTS + 1))
    assert (caught.value.line, str(caught.value)) == (
        MAX_ELEMENTS + 1, f"the layout writes over {MAX_ELEMENTS:,} elements (stopped at this <rule>); "
                          f"a document holds at most {MAX_ELEMENTS:,}")


def test_element_text_up_to_the_limit_is_read_one_more_is_an_error():
    from guidebuilder.render.parse import MAX_INLINE_TEXT, parse_markup

    def markup(length):
        return f"<document title='x'>\n<p>{'a' * (length - 2)}<b>b</b>c</p></document>"

    assert parse_markup(markup(MAX_INLINE_TEXT)).kids[0].inline.startswith("aaa")
    with pytest.raises(MarkupError) as caught:
        parse_markup(markup(MAX_INLINE_TEXT + 1))
    assert (caught.value.line, str(caught.value)) == (
        2, f"<p> holds {MAX_INLINE_TEXT + 1:,} characters of text, over the {MAX_INLINE_TEXT:,} limit for one "
           f"element; split it")


# ---- text limits in the YAML --------------------------------------------------------------------


def test_one_text_up_to_the_limit_is_accepted_one_more_character_is_an_error():
    from pydantic import TypeAdapter, ValidationError

    from guidebuilder.load.fieldtypes import MAX_TEXT, Text

    adapter = TypeAdapter(Text)
    assert adapter.validate_python("a" * MAX_TEXT) == "a" * MAX_TEXT
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python("a" * (MAX_TEXT + 1))
    assert caught.value.errors()[0]["msg"] == (f"this text is {MAX_TEXT + 1:,} characters long, over the "
                                              f"{MAX_TEXT:,} limit for one paragraph; split it")


def _guide_with_body(tmp_path, paragraphs: list[str]):
    body = "".join(f"      - {p}\n" for p in paragraphs)
    path = tmp_path / "guide.yaml"
    checklist = "checklist:\n  title: C\n  groups:\n    - heading: G\n      items:\n        - I\n"
    path.write_text("title: T\nsummary: S\n" + checklist + "sections:\n  - heading: H\n    body:\n" + body,
                    encoding="utf-8")  # body[i] at line 12 + i
    return path


def test_a_guide_up_to_the_total_limit_loads_one_more_character_is_an_error(tmp_path, monkeypatch):
    from guidebuilder.load.files import MAX_GUIDE_TEXT, _guide_source

    monkeypatch.chdir(tmp_path)
    fixed = len("TSHCGI")  # the texts besides the body ("id" is added, not read)
    paragraphs = ["a" * 19_000] * (MAX_GUIDE_TEXT // 19_000)
    paragraphs.append("b" * (MAX_GUIDE_TEXT - fixed - sum(map(len, paragraphs))))
    path = _guide_with_body(tmp_path, paragraphs)
    guide, _ = _guide_source.__wrapped__(path.resolve(), 0, path)
    assert sum(len(p) for p in guide.sections[0].body) + fixed == MAX_GUIDE_TEXT

    path = _guide_with_body(tmp_path, paragraphs[:-1] + [paragraphs[-1] + "b"])
    with pytest.raises(InputError) as caught:
        _guide_source.__wrapped__(path.resolve(), 0, path)
    last = len(paragraphs) - 1
    assert [str(p) for p in caught.value.problems] == [
        f"guide.yaml:{12 + last}: sections[0].body[{last}]: the guide's text passes {MAX_GUIDE_TEXT:,} characters "
        f"here, over the limit for one guide; split it into shorter guides"]


def test_a_long_paragraph_within_the_limit_lays_out_quickly(tmp_path, monkeypatch):
    """The quadratic part of laying out one long paragraph (ReportLab breaks its remaining lines
    again on every page) stays small at the limit: 20,000 characters, a few pages."""
    from guidebuilder.load.fieldtypes import MAX_TEXT
    from guidebuilder.pipeline import build_pdf, load_inputs

    monkeypatch.chdir(tmp_path)
    words = ("word " * (MAX_TEXT // 5)).strip()
    path = _guide_with_body(tmp_path, [words])
    start = time.perf_counter()
    from guidebuilder.errors import BuildError

    try:
        build_pdf(load_inputs(str(path), None), "handout")
    except BuildError as exc:  # it may run past the handout's page limit: laying it out is what counts
        assert "pages, over its limit" in str(exc)
    assert time.perf_counter() - start < 10
