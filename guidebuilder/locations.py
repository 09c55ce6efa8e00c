"""Where content and layouts live: the working folder's own, else the copies shipped in the package."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import InputError, Problem

DEFAULT_GUIDE = "medical-coder"
DEFAULT_SCHOOL = "default"


@lru_cache(maxsize=None)
def _builtin(package: str, folder: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / folder  # a source checkout


def builtin_content() -> Path:
    return _builtin("guidebuilder.builtin_content", "content")


def builtin_layouts() -> Path:
    return _builtin("guidebuilder.builtin_layouts", "layouts")


def content_dirs() -> list[Path]:
    """The working folder's content/ first, then the built-in content."""
    dirs = [Path.cwd() / "content", builtin_content()]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in [x.resolve() for x in dirs[:i]]]


def layout_dirs() -> list[Path]:
    dirs = [Path.cwd() / "layouts", builtin_layouts()]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in [x.resolve() for x in dirs[:i]]]


def find_guide(name_or_path: str | None) -> Path:
    """A guide file: a path, or a guide id looked up in content/."""
    if name_or_path and (Path(name_or_path).suffix in (".yaml", ".yml") or Path(name_or_path).exists()):
        return Path(name_or_path)
    guide_id = name_or_path or DEFAULT_GUIDE
    for folder in content_dirs():
        if (folder / f"{guide_id}.yaml").is_file():
            return folder / f"{guide_id}.yaml"
    raise InputError([Problem(guide_id, None, "", "no such guide file or guide id in content/")])


def find_school(name_or_path: str | None) -> Path:
    """A school file: a school.yaml path, its folder, or a slug looked up in content/schools/."""
    if name_or_path:
        path = Path(name_or_path)
        if path.is_dir():
            path = path / "school.yaml"
        if path.suffix in (".yaml", ".yml") or path.exists():
            return path
    slug = name_or_path or DEFAULT_SCHOOL
    for folder in content_dirs():
        candidate = folder / "schools" / slug / "school.yaml"
        if candidate.is_file():
            return candidate
    known = sorted({p.parent.name for d in content_dirs() for p in (d / "schools").glob("*/school.yaml")})
    from guidebuilder.errors import did_you_mean

    raise InputError([Problem(slug, None, "", f"no such school file, folder or slug{did_you_mean(slug, known)}"
                              f" (known schools: {', '.join(known) or 'none'})")])


def all_school_files() -> list[Path]:
    seen, files = set(), []
    for folder in content_dirs():
        for path in sorted((folder / "schools").glob("*/school.yaml")):
            if path.parent.name not in seen:
                seen.add(path.parent.name)
                files.append(path)
    return files


def find_layout(name: str) -> Path:
    for folder in layout_dirs():
        if (folder / f"{name}.xml.j2").is_file():
            return folder / f"{name}.xml.j2"
    known = sorted({p.name.removesuffix(".xml.j2") for d in layout_dirs() for p in d.glob("*.xml.j2")})
    from guidebuilder.errors import did_you_mean

    raise InputError([Problem(name, None, "", f"no such layout{did_you_mean(name, known)} (layouts: {', '.join(known)})")])


def stylesheet_path() -> Path:
    for folder in layout_dirs():
        if (folder / "base.yaml").is_file():
            return folder / "base.yaml"
    raise InputError([Problem("layouts/base.yaml", None, "", "the base stylesheet is missing")])
