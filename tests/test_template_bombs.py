"""Layouts that would build a huge value by doubling, joining, replacing or formatting are
refused before the value is built, fast, at the layout's line (review 11: these ran out of memory
after seconds and gigabytes), and the values a real layout builds this way still work."""

from __future__ import annotations

import time

import pytest

from guidebuilder.errors import InputError
from guidebuilder.template.jinja import MAX_MARKUP
from pdfhelpers import render_layout_text

HUGE = f"would build a huge value (over {MAX_MARKUP:,} characters or items); look for a value that keeps doubling or a long text repeated"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    monkeypatch.setenv("GUIDEBUILDER_NO_CACHE", "1")


render = render_layout_text


DOUBLING = "{%% set ns = namespace(v=%s) %%}{%% for i in range(40) %%}{%% set ns.v = %s %%}{%% endfor %%}{{ ns.v|length }}"


@pytest.mark.parametrize("source, what", [
    (DOUBLING % ('"x"', "ns.v ~ ns.v"), "joining these texts"),
    (DOUBLING % ("[1]", "ns.v + ns.v"), "this +"),
    (DOUBLING % ('"x"', "ns.v + ns.v"), "this +"),
    ("{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}" + DOUBLING % ('"x"', "twice(ns.v)"), "joining these texts"),
    ('{{ ("x" * 999999)|replace("x", "x" * 999999)|length }}', "|replace"),
    ('{{ ("x" * 999999).replace("x", "x" * 999999)|length }}', ".replace"),
    ('{{ range(100000)|join("x" * 999999)|length }}', "|join"),
    ('{{ range(100000)|map("string")|join("x" * 999999)|length }}', "|join"),
    ('{{ ("x" * 999999).join(range(100000)|list)|length }}', ".join"),
    ('{{ ("\\n" * 999999)|indent("x" * 999999)|length }}', "|indent"),
    ('{{ ("x " * 400000)|wordwrap(1, wrapstring="y" * 999999)|length }}', "|wordwrap"),
    ('{{ ("{0}" * 100000).format("x" * 999999)|length }}', ".format"),
    ('{{ ("{a}" * 100000).format_map({"a": "x" * 999999})|length }}', ".format_map"),
    ('{{ ("%s" * 100000) % ("x" * 999999) }}', "this % format"),
    ('{{ ("%s" * 100000)|format("x" * 999999)|length }}', "|format"),
])
def test_values_that_would_be_huge_are_refused_fast_at_their_line(tmp_path, source, what):
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        render(tmp_path, "<document>\n" + source + "\n")
    assert time.perf_counter() - start < 2
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (2, f"not allowed in a layout: {what} {HUGE}")


@pytest.mark.parametrize("expression, message", [
    ("[[1] * 999999] * 999999", "repeated 999,999 times, it would be 999,998,000,001 characters or items long, "
                                "over the 1,000,000 limit"),  # one list, printed 999,999 times
    ("[1]|batch(1000000000, 0)|list", "|batch with a number of 10,000 or more would build a huge value"),
    ("(10 ** 3999) ** 2", "a number of about 4,000 digits ** 2 would have over 4,000 digits"),
    ("'x' * (10 ** 3999)", "repeated a number of about 4,000 digits times, it would be a number of about "
                           "4,000 digits characters or items long, over the 1,000,000 limit"),
])
def test_other_huge_values_are_refused_and_long_numbers_are_abbreviated(tmp_path, expression, message):
    with pytest.raises(InputError) as caught:
        render(tmp_path, "<document>\n{{ %s }}\n" % expression)
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (2, f"not allowed in a layout: {message}")


def test_values_of_sane_size_are_built_as_before(tmp_path):
    source = ('{{ "{0}-{1}".format("a", 2) }} {{ "%s/%d" % ("a", 3) }} {{ "x"|replace("x", "yy") }} '
              '{{ [1, 2]|join(", ") }} {{ "a" ~ 1 ~ "b" }} {{ ([1] + [2])|length }} {{ "a\nb"|indent(2) }} '
              '{{ [1, 2, 3]|batch(2)|list }} {{ [[1], [2]]|sum(start=[]) }} {{ "ab".replace("a", "c") }} '
              '{{ "-".join(["a", "b"]) }} {{ (1,) + (2,) }} {{ 1 + 2 }} {{ "<" ~ "&"|e }} {% set b = "<b>"|safe %}{{ b ~ "<" }}')
    assert render(tmp_path, source) == ("a-2 a/3 yy 1, 2 a1b 2 a\n  b [[1, 2], [3]] [1, 2] cb a-b (1, 2) 3 "
                                        "&lt;&amp;amp; <b>&lt;")


def test_values_up_to_the_limit_are_built(tmp_path):
    half = MAX_MARKUP // 2
    source = ("{%% set ns = namespace(s='x' * %d, l=[1] * %d) %%}{{ (ns.s ~ ns.s)|length }} {{ (ns.l + ns.l)|length }} "
              "{{ ns.s|replace('x', 'yy')|length }}" % (half, half))
    assert render(tmp_path, source) == f"{MAX_MARKUP} {MAX_MARKUP} {MAX_MARKUP}"
