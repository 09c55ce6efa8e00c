"""docs/layouts.md documents every element and attribute the renderer knows."""

from pathlib import Path

import pytest

from guidebuilder.render.components import REGISTRY

DOC = (Path(__file__).resolve().parent.parent / "docs" / "layouts.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("tag", sorted(REGISTRY))
def test_every_element_has_a_section_and_every_attribute_a_row(tag):
    assert f"#### `{tag}`" in DOC, f"docs/layouts.md has no section for <{tag}>"
    section = DOC.split(f"#### `{tag}`", 1)[1].split("\n#### ", 1)[0]
    for name in REGISTRY[tag].attributes:
        assert f"| `{name}` |" in section, f"<{tag} {name}> is not documented in its section"
