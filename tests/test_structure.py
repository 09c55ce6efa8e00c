"""The package's shape (issue 12): stages as sub-packages, the write stage depending on no
layout component, and the document's settings typed rather than a dict with string keys."""

from __future__ import annotations

import ast
from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

import guidebuilder
from guidebuilder.render.settings import BuildState, DocumentSettings

PACKAGE = Path(guidebuilder.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_document_settings_hold_every_document_attribute():
    from guidebuilder.render.components.text import Document

    assert [f.name.replace("_", "-") for f in fields(DocumentSettings)] == list(Document.attributes)
    defaults = {name: attr.default for name, attr in Document.attributes.items()}
    assert DocumentSettings.from_attributes(defaults | {"title": "T"}) == DocumentSettings(title="T")


def test_document_settings_are_frozen_and_build_state_is_per_document():
    settings = DocumentSettings(fold="letter")
    assert settings.folded and not DocumentSettings().folded
    with pytest.raises(FrozenInstanceError):
        settings.footer = "changed"  # type: ignore[misc]
    first, second = BuildState(), BuildState()
    first.field_names.add("check-01-01")
    assert second.field_names == set() and not second.has_columns


def test_the_document_element_sets_the_settings_the_write_stage_reads():
    from guidebuilder.render.parse import RenderContext, parse_markup

    root = parse_markup('<document title="T" footer="F" running-header="R" page-numbers="false" lang="fr">'
                        "</document>")
    ctx = RenderContext(None, None, None, 612.0, 792.0, None)
    root.build(ctx)
    assert ctx.document == DocumentSettings(title="T", footer="F", running_header="R", page_numbers=False, lang="fr")


@pytest.mark.parametrize("module", ["pdf/pages.py", "pdf/write.py", "pdf/tagging.py", "pdf/geometry.py"])
def test_the_write_stage_imports_no_layout_component(module):
    assert not {m for m in imported_modules(PACKAGE / module) if m.startswith("guidebuilder.render.components")}


def test_pipeline_asks_pages_for_the_frame_height():
    source = (PACKAGE / "pipeline.py").read_text(encoding="utf-8")
    assert "first_frame_height(ctx)" in source
    assert "frame_bottom" not in source and 'page("margin")' not in source


@pytest.mark.parametrize("stage", ["load", "template", "render", "pdf", "batch"])
def test_each_stage_is_a_package(stage):
    assert (PACKAGE / stage / "__init__.py").is_file()


def test_the_top_level_is_thin():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "check.py", "cli.py", "diskcache.py", "errors.py", "pipeline.py",
                   "scaffold.py"]
