"""`guidebuilder check`: validate guides, schools and layouts without rendering a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guidebuilder.load import locations
from guidebuilder.errors import GuidebuilderError, display_path
from guidebuilder.load import load_school


@dataclass
class CheckResult:
    path: Path
    kind: str
    error: GuidebuilderError | None = None
    notes: tuple[str, ...] = ()


def kind_of(path: Path) -> str:
    if path.name.endswith(".xml.j2"):  # first: layouts/x.xml.j2 as a folder is a broken layout, not a school
        return "layout"
    if path.is_dir() or path.name == "school.yaml":
        return "school"
    return "guide"


def default_targets() -> list[Path]:
    """Every guide and school of the working folder (or the samples, when it has none of that
    kind: see locations.py), and every layout a build can use."""
    layouts = sorted({p.name: p for d in reversed(locations.layout_dirs()) for p in d.glob("*.xml.j2")
                      if not p.name.startswith("_")}.values())
    return locations.all_guide_files() + locations.all_school_files() + layouts


def default_target_notes() -> list[str]:
    return locations.sample_notes(locations.all_school_files(), locations.all_guide_files())


def check_one(path: Path) -> CheckResult:
    from guidebuilder.errors import collecting_notes

    kind = kind_of(path)
    with collecting_notes() as collected:
        result = _check(path, kind)
    result.notes = tuple(f"warning: {w}" for w in collected) + result.notes
    return result


def _check(path: Path, kind: str) -> CheckResult:
    from guidebuilder.load import load_school_source

    notes: list[str] = []
    try:
        if kind == "school":
            school_file = locations.find_school(str(path)) if path.is_dir() else path
            notes = school_notes(*load_school_source(school_file), school_file)
        elif kind == "guide":
            guide_notes(path)
        else:
            check_layout(path)
    except GuidebuilderError as exc:
        return CheckResult(path, kind, exc)
    except MemoryError:
        raise  # not a bug of ours: the CLI reports it without needing memory
    except Exception as exc:  # noqa: BLE001 - a bug of ours, reported as one line
        from guidebuilder.errors import internal_error

        return CheckResult(path, kind, internal_error(exc, display_path(path)))
    return CheckResult(path, kind, notes=tuple(notes))


def guide_notes(path: Path) -> None:
    """A guide must validate, and the default font must have every character it prints."""
    from guidebuilder.render.glyphs import check_glyphs
    from guidebuilder.load import load_guide_source
    from guidebuilder.render.stylesheet import stylesheet_at
    from guidebuilder.render.theme import make_theme

    _, source = load_guide_source(path)
    school = load_school(locations.reference_school())
    theme = make_theme(stylesheet_at(locations.stylesheet_path()), school, None)
    check_glyphs(theme.fonts, [source], "", path)


def school_notes(school, source, school_file: Path) -> list[str]:
    """What the theme changes for this school's brand to stay readable (and a check that its
    font has every character of its texts)."""
    from guidebuilder.render.glyphs import check_glyphs
    from guidebuilder.render.stylesheet import stylesheet_at
    from guidebuilder.render.theme import make_theme

    theme = make_theme(stylesheet_at(locations.stylesheet_path()), school, school_file)
    check_glyphs(theme.fonts, [source], "", school_file)
    return [f"contrast: {note}" for note in theme.contrast_notes()]


def check_layout(layout_file: Path) -> None:
    """Build the layout with the default guide and school (locations.reference_*): every element,
    attribute and colour role it uses is read, and the document must fit its pages."""
    from guidebuilder.pipeline import build_pdf, load_inputs

    locations.regular_file(layout_file, "a layout file")  # a named pipe or a folder: said as such
    inputs = load_inputs(str(locations.reference_guide()), str(locations.reference_school()))
    build_pdf(inputs, Path(layout_file))
