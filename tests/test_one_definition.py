"""Constants the code shares are defined once and imported where used (issue 12, tidy)."""

import typing
from pathlib import Path

import guidebuilder

PACKAGE = Path(guidebuilder.__file__).parent


def _sources():
    return {path.relative_to(PACKAGE).as_posix(): path.read_text() for path in PACKAGE.rglob("*.py")}


def _defined_in(text: str) -> list[str]:
    return sorted(name for name, source in _sources().items() if text in source)


def test_the_font_style_names_are_spelled_once():
    from guidebuilder.load.models import Fonts
    from guidebuilder.render.fonts import STYLES
    from guidebuilder.render.stylesheet import WEIGHTS

    assert _defined_in('"regular", "bold", "italic", "bold_italic"') == ["render/fonts.py"]
    assert WEIGHTS is STYLES and tuple(Fonts.model_fields) == STYLES


def test_the_page_sizes_are_listed_once():
    from guidebuilder.cli import PAGE_SIZES as choice
    from guidebuilder.load.models import School
    from guidebuilder.pdf.geometry import PAGE_SIZES

    assert _defined_in('"a4"') == ["pdf/geometry.py"]
    assert typing.get_args(School.model_fields["page_size"].annotation) == tuple(PAGE_SIZES) == ("letter", "a4")
    assert list(choice.choices) == list(PAGE_SIZES)


def test_the_block_kinds_are_listed_once():
    from guidebuilder.load import files, models

    assert _defined_in('"bullets", "table"') == ["load/models.py"]
    assert files._TAGS is models.BLOCK_KINDS


def test_one_check_keeps_files_inside_the_school_folder():
    assert _defined_in("is_relative_to(folder)") == ["render/assets.py"]


def test_a_layout_asking_for_a_looped_link_is_told_so(tmp_path):
    import pytest

    from guidebuilder.errors import InputError
    from guidebuilder.render.parse import RenderContext

    (tmp_path / "school.yaml").write_text("name: x\n")
    (tmp_path / "loop.svg").symlink_to(tmp_path / "loop.svg")
    ctx = RenderContext.__new__(RenderContext)
    ctx.school_file = tmp_path / "school.yaml"
    with pytest.raises(InputError) as caught:
        ctx.asset("loop.svg")
    assert [p.message for p in caught.value.problems] == ['"loop.svg" is a loop of symbolic links, not a file']
    with pytest.raises(InputError) as caught:
        ctx.asset("../elsewhere.svg")
    assert [p.message for p in caught.value.problems] == ['"../elsewhere.svg" is outside the school\'s folder']
