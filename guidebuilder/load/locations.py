"""Where content and layouts live: the working folder's own, else the samples shipped in the package.

Schools and guides are content: the built-in ones are samples, used only when the working folder
has none of its own of that kind, and never mixed with hers (a print run must not pick up a
sample school). Schools: the folder's ./content/schools/ when it exists, even empty; guides: the
guide files directly in ./content/ when there is at least one. Layouts are design, not content,
and are looked up file by file: ./layouts/NAME first, then the built-in one, because a layout
needs the stylesheet (base.yaml) and the partials (_macros.xml.j2) beside it, and a designer who
adds one layout should not have to copy the rest.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import InputError, Problem, did_you_mean, display_path

DEFAULT_GUIDE = "medical-coder"
DEFAULT_SCHOOL = "default"


@lru_cache(maxsize=None)
def _builtin(package: str, folder: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / folder  # a source checkout


def builtin_content() -> Path:
    return _builtin("guidebuilder.builtin_content", "content")


def builtin_layouts() -> Path:
    return _builtin("guidebuilder.builtin_layouts", "layouts")


def is_sample(path: Path) -> bool:
    """Whether `path` is a built-in sample standing in for the working folder's own content (in a
    source checkout, the repository's content/ is the working folder's own, not a sample)."""
    folder = Path(path).parent.resolve()  # not the file: it may be a symbolic link loop
    if not folder.is_relative_to(builtin_content().resolve()):
        return False
    return using_sample_schools() if "schools" in folder.relative_to(builtin_content().resolve()).parts \
        else using_sample_guides()


def present(path: Path) -> bool:
    """Whether anything is there under this name (a named pipe, a folder, a dangling link or a
    link loop too): what is there is the user's, and is read with the normal checks, so that its
    problem is reported; a built-in sample never stands in for an unreadable file of hers."""
    return os.path.lexists(path)


def regular_file(path: Path, expected: str) -> Path:
    """`path`, which is present, when it is a regular file; else the problem with it, by name."""
    name = display_path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:  # a dangling link, a link loop, no permission
        raise InputError.at(name, None, "", f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InputError.at(name, None, "", f"is a folder, expected {expected}")
    if not stat.S_ISREG(mode):
        raise InputError.at(name, None, "", "is not a regular file (a named pipe, a socket or a device)")
    return path


# ---- schools ---------------------------------------------------------------------------------


def resolved(path: Path) -> Path:
    """`path` with symbolic links resolved; a link loop (which Path.resolve refuses with a
    RuntimeError) as its absolute path, for the read that follows to report."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def own_schools_dir() -> Path:
    return Path.cwd() / "content" / "schools"


def using_sample_schools() -> bool:
    """No content/schools/ in the working folder: the built-in sample schools stand in."""
    return not own_schools_dir().is_dir()


def schools_dir() -> Path:
    """The one folder schools are looked up in: the working folder's, or else the samples'."""
    return builtin_content() / "schools" if using_sample_schools() else own_schools_dir()


def all_school_files() -> list[Path]:
    """Every school folder's school.yaml, present or not: whatever is there (or missing) is read
    with the normal checks, so a folder whose school file is a named pipe, a link loop, misspelt
    or missing is reported, not silently left out (see missing_school_problem). Hidden folders
    (.git, editors' backups) are no schools."""
    folder = schools_dir()
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    return [child / "school.yaml" for child in children]


def missing_school_problem(school_file: Path) -> Problem | None:
    """For a school folder with no school.yaml: the problem, naming the folder and the file that
    looks meant to be it (school.yml, School.yaml)."""
    school_file = Path(school_file)
    in_schools_folder = resolved(school_file.parent).parent == resolved(schools_dir())
    if present(school_file) or not in_schools_folder or not school_file.parent.is_dir():
        return None  # a school file named outright and missing: the read says "file not found"
    try:
        near = sorted(p.name for p in school_file.parent.iterdir()
                      if p.name.lower() in ("school.yml", "school.yaml", "school.yaml.txt", "schools.yaml"))
    except OSError:
        near = []
    hint = f" (found {near[0]}: rename it)" if near else \
        " (every school folder holds one; create it with guidebuilder new-school NAME)"
    return Problem(display_path(school_file.parent) + "/", None, "", f"no school.yaml{hint}")


def school_slugs() -> list[str]:
    return [p.parent.name for p in all_school_files()]


def _schools_phrase() -> str:
    known = school_slugs()
    where = "built-in sample schools" if using_sample_schools() else "schools in content/schools/"
    return f"{where}: {', '.join(known)}" if known else "no schools in content/schools/"


def find_school(name_or_path: str | None) -> Path:
    """A school file: a school.yaml path, its folder, or a slug looked up in the schools folder.
    With no name: the school "default", else the only school there is."""
    if name_or_path:
        path = Path(name_or_path)
        if path.is_dir():
            return _school_in_folder(path, name_or_path)
        if path.suffix in (".yaml", ".yml") or path.exists() or path.is_symlink():
            return path
        return _school_by_slug(name_or_path)
    candidate = schools_dir() / DEFAULT_SCHOOL / "school.yaml"
    if candidate.is_file():
        return candidate
    files = all_school_files()
    if len(files) == 1:
        return files[0]
    if not files:
        raise InputError.at("content/schools/", None, "", "has no schools; add one with "
                                  "guidebuilder new-school NAME, or name a school file with --school")
    raise InputError.at("content/schools/", None, "", f'has no school "{DEFAULT_SCHOOL}" and several '
                              f"others; choose one with --school ({_schools_phrase()})")


def _school_in_folder(folder: Path, typed: str) -> Path:
    school_file = folder / "school.yaml"
    if present(school_file):  # whatever it is (a folder, a named pipe): the read names what is wrong, once
        return school_file
    what = "a folder, not a school file" if folder.name.endswith((".yaml", ".yml")) else \
        "a folder with no school.yaml in it"
    raise InputError.at(typed, None, "", f"is {what}; give a school's folder (holding its school.yaml), "
                              f"its school.yaml file or its slug")


def _school_by_slug(slug: str) -> Path:
    candidate = schools_dir() / slug / "school.yaml"
    if present(candidate) or candidate.parent.is_dir():  # the read says what is wrong with it
        return candidate
    raise InputError.at(slug, None, "", f"no such school file, folder or slug"
                              f"{did_you_mean(slug, school_slugs())} ({_schools_phrase()})")


def reference_school() -> Path:
    """The school a guide or layout is checked with: the folder's "default" school, else its first,
    else the built-in default."""
    files = all_school_files()
    default = schools_dir() / DEFAULT_SCHOOL / "school.yaml"
    if default.is_file():
        return default
    return files[0] if files else builtin_content() / "schools" / DEFAULT_SCHOOL / "school.yaml"


# ---- guides ----------------------------------------------------------------------------------


def _guide_files_in(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))  # present: hers (see present)
    except OSError:
        return []


def using_sample_guides() -> bool:
    """No guide file directly in ./content/: the built-in sample guide stands in."""
    return not _guide_files_in(Path.cwd() / "content")


def guides_dir() -> Path:
    return builtin_content() if using_sample_guides() else Path.cwd() / "content"


def all_guide_files() -> list[Path]:
    return _guide_files_in(guides_dir())


def _guides_phrase() -> str:
    known = [p.stem for p in all_guide_files()]
    where = "built-in sample guides" if using_sample_guides() else "guides in content/"
    return f"{where}: {', '.join(known)}" if known else "no guides in content/"


def find_guide(name_or_path: str | None) -> Path:
    """A guide file: a path, or a guide id looked up in the guides folder. With no name: the
    guide "medical-coder", else the only guide there is."""
    if name_or_path and (Path(name_or_path).suffix in (".yaml", ".yml") or present(Path(name_or_path))):
        return Path(name_or_path)
    folder = guides_dir()
    guide_id = name_or_path or DEFAULT_GUIDE
    for suffix in (".yaml", ".yml"):
        if present(folder / f"{guide_id}{suffix}"):
            return folder / f"{guide_id}{suffix}"
    files = all_guide_files()
    if name_or_path is None and len(files) == 1:
        return files[0]
    if name_or_path is None:
        raise InputError.at("content/", None, "", f'has no guide "{DEFAULT_GUIDE}" and several others; '
                                  f"choose one with --guide ({_guides_phrase()})")
    known = [p.stem for p in files]
    raise InputError.at(guide_id, None, "", f"no such guide file or guide id in content/"
                              f"{did_you_mean(guide_id, known)} ({_guides_phrase()})")


def reference_guide() -> Path:
    """The guide a layout is checked with: the default one, else the folder's first."""
    files = all_guide_files()
    default = guides_dir() / f"{DEFAULT_GUIDE}.yaml"
    return default if present(default) else files[0]


# ---- notes -----------------------------------------------------------------------------------


def sample_notes(schools: list[Path] = (), guides: list[Path] = (), school_named: bool = True,
                 guide_named: bool = True) -> list[str]:
    """What to tell the user about the inputs a run picked for her: built-in samples standing in
    for content she does not have, or a school or guide chosen because it is the only one.
    `schools`/`guides`: the files the run uses; `*_named`: whether she named them."""
    notes = []
    sample_schools = [p for p in schools if is_sample(p)]
    if sample_schools:
        which = f'school "{sample_schools[0].parent.name}"' if len(schools) == 1 else "schools"
        notes.append(f"no content/schools/ in this folder; using the built-in sample {which}")
    elif not school_named and len(schools) == 1 and schools[0].parent.name != DEFAULT_SCHOOL:
        notes.append(f'no --school given; using "{schools[0].parent.name}", the only school in content/schools/')
    sample_guides = [p for p in guides if is_sample(p)]
    if sample_guides:
        which = f'guide "{sample_guides[0].stem}"' if len(guides) == 1 else "guides"
        notes.append(f"no guide files in content/ in this folder; using the built-in sample {which}")
    elif not guide_named and len(guides) == 1 and guides[0].stem != DEFAULT_GUIDE:
        notes.append(f'no --guide given; using "{guides[0].stem}", the only guide in content/')
    return notes


# ---- layouts ---------------------------------------------------------------------------------


def layout_dirs() -> list[Path]:
    """./layouts/ first, then the built-in layouts: a layout file is looked up file by file."""
    dirs = [Path.cwd() / "layouts", builtin_layouts()]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in [x.resolve() for x in dirs[:i]]]


def find_layout(name: str) -> Path:
    for folder in layout_dirs():
        if present(folder / f"{name}.xml.j2"):
            return regular_file(folder / f"{name}.xml.j2", "a layout file")
    known = sorted({p.name.removesuffix(".xml.j2") for d in layout_dirs() for p in d.glob("*.xml.j2")})
    raise InputError.at(name, None, "", f"no such layout{did_you_mean(name, known)} (layouts: {', '.join(known)})")


def stylesheet_path() -> Path:
    for folder in layout_dirs():
        if present(folder / "base.yaml"):
            return regular_file(folder / "base.yaml", "the stylesheet (a YAML file)")
    raise InputError.at("layouts/base.yaml", None, "", "the base stylesheet is missing")
