"""`guidebuilder new-school`: a ready-to-edit school folder with every optional key shown."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from guidebuilder.errors import InputError, Problem, display_path
from guidebuilder.pdf.write import write_new

SCHOOL_TEMPLATE = """\
# {name}: branding and details for guidebuilder.
# Every optional key is shown as a comment: remove the "# " to use it.
# Check it with: guidebuilder check {folder}/school.yaml
name: {name_yaml}
# short_name: {short}            # used where space is tight
# tagline: Your career starts here
{logo_line}
colors:
  primary: "{primary}"          # the band, headings and step numbers (#RGB, #RRGGBB or a CSS name)
  # secondary: "#01BAEF"
  # accent: "#F9A620"          # used sparingly: card stripes, callouts
# fonts:                        # TrueType files in this folder; all four styles if you have them
#   regular: fonts/Brand-Regular.ttf
#   bold: fonts/Brand-Bold.ttf
#   italic: fonts/Brand-Italic.ttf
#   bold_italic: fonts/Brand-BoldItalic.ttf
# contact:
#   office: Career Services
#   phone: "(555) 010-2000"
#   email: careers@example.edu
#   address: 100 Main Street, Springfield
#   website: https://example.edu/careers
# program:                      # your own training program
#   name: Medical Coding Certificate
#   length: 9 months
#   format: Online, or evenings on campus
#   cost: "$4,200"
#   next_start: 2027-01-12
#   url: https://example.edu/coding   # the QR code points here (else contact.website)
# event:                        # the career fair this print run is for
#   name: Spring Career Fair
#   date: 2027-03-14
#   location: Main Gym, booth B12
page_size: letter               # letter or a4
"""


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "school"


def new_school(name: str, schools_dir: Path, logo: Path | None, primary: str | None) -> Path:
    """Write schools_dir/<slug>/school.yaml (and copy the logo in); returns the school file."""
    from pydantic_core import PydanticCustomError

    from guidebuilder.render.colours import parse_colour

    problems = []
    if not name.strip():
        problems.append(Problem("new-school", None, "NAME", "the school's name is empty"))
    elif _not_text(name):
        problems.append(Problem("new-school", None, "NAME", f"{_not_text(name)}; type the name again "
                                                            f"(as UTF-8 text)"))
    try:
        primary = parse_colour(primary) if primary else "#1F3A5F"
    except PydanticCustomError as exc:
        problems.append(Problem("new-school", None, "--primary", str(exc)))
    if logo is not None and not logo.is_file():
        problems.append(Problem(display_path(logo), None, "--logo", "file not found"))
    elif logo is not None and logo.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
        problems.append(Problem(display_path(logo), None, "--logo", "expected a PNG, JPEG or SVG file"))
    folder = Path(schools_dir) / slugify(name)
    school_file = folder / "school.yaml"
    if os.path.lexists(school_file):  # a dangling symbolic link too: writing would follow it
        problems.append(Problem(_shown(school_file), None, "", "already exists; edit it, or choose another name"))
    logo_target = folder / f"logo{logo.suffix.lower()}" if logo is not None else None
    if logo_target is not None and os.path.lexists(logo_target) and not problems:
        problems.append(Problem(_shown(logo_target), None, "--logo", "already exists in the school's folder; "
                                "move it away, or use it as the logo without --logo"))
    if problems:
        raise InputError(problems)
    logo_line = "# logo: logo.png                # PNG, JPEG or SVG in this folder"
    if logo_target is not None:
        logo_line = f"logo: {logo_target.name}\nlogo_alt: {_yaml_text(name + ' logo')}"
    text = SCHOOL_TEMPLATE.format(name=name, name_yaml=_yaml_text(name), short=name.split()[0],
                                  logo_line=logo_line, primary=primary, folder=display_path(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if logo_target is not None:
            write_new(logo_target, logo.read_bytes())
        try:
            write_new(school_file, text.encode("utf-8"))  # whole or not at all: a retry is never blocked
        except BaseException:
            if logo_target is not None:
                logo_target.unlink(missing_ok=True)  # the logo it copied: the retry copies it again
            raise
    except FileExistsError as exc:
        raise InputError.at(_shown(Path(str(exc.args[0]) if exc.args else school_file)), None, "",
                                  "already exists; edit it, or choose another name") from None
    except OSError as exc:
        raise InputError.at(display_path(folder), None, "", f"cannot write here ({exc.strerror})") from None
    return school_file


def _shown(path: Path) -> str:
    """A file in the new school's folder as the user would type it (a symbolic link not followed)."""
    return str(Path(display_path(path.parent)) / path.name)


def _not_text(name: str) -> str:
    """Why `name` cannot be a school's name, or "": bytes that were not UTF-8 (they reach Python
    as surrogate escapes), or control characters (a line break would end the YAML comment it is in)."""
    if any("\udc80" <= c <= "\udcff" for c in name):
        typed = ascii(name.encode("utf-8", "surrogateescape"))[2:-1]
        return f'holds bytes that are not UTF-8 text ("{typed}")'
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "holds a control character (such as a line break or a tab)"
    return ""


def _yaml_text(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar
