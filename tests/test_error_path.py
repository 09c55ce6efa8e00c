"""One error path (issue 12, item 2): every problem is a Problem raised through one constructor,
the CLI says errors in one place, and warnings are collected notes that build, check and batch
print alike (`warning: ...`), never Python's warnings output."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdfhelpers import CONTENT, REPO

from guidebuilder.errors import (BuildError, InputError, Problem, collecting_notes, display_path,
                                 internal_error, note)

LATO_REGULAR = CONTENT / "schools" / "summit-ridge" / "fonts" / "Lato-Regular.ttf"
PACKAGE = REPO / "guidebuilder"


def run_cli(args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def regular_only_school(root: Path, slug: str) -> None:
    folder = root / "content" / "schools" / slug
    (folder / "fonts").mkdir(parents=True)
    shutil.copy(LATO_REGULAR, folder / "fonts" / "Lato-Regular.ttf")
    (folder / "school.yaml").write_text('name: Regular Only College\ncolors:\n  primary: "#0B4F6C"\n'
                                        'fonts:\n  regular: fonts/Lato-Regular.ttf\n', encoding="utf-8")


def warning_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("warning:")]


def expected_warnings(slug: str) -> list[str]:
    return [f"warning: {slug}: no {style} font given; Lato-Regular.ttf stands in"
            for style in ("bold", "italic", "bold italic")]


# ---- warnings: the same line from build, check and batch ------------------------------------


@pytest.mark.slow
def test_build_check_and_batch_print_the_same_warning_for_a_regular_only_font(tmp_path):
    regular_only_school(tmp_path, "regular-only")
    regular_only_school(tmp_path, "regular-two")  # two schools: batch builds them in worker processes

    build = run_cli(["build", "--school", "regular-only", "--layout", "handout", "--out", "out"], tmp_path)
    check = run_cli(["check", "content/schools/regular-only"], tmp_path)
    batch = run_cli(["batch", "regular-only", "regular-two", "--layout", "handout", "--jobs", "2",
                     "--out", "batch-out"], tmp_path)

    assert (build.returncode, check.returncode, batch.returncode) == (0, 0, 0), \
        (build.stderr, check.stdout + check.stderr, batch.stderr)
    assert warning_lines(build.stderr) == expected_warnings("regular-only")
    assert warning_lines(check.stdout + check.stderr) == expected_warnings("regular-only")
    assert sorted(warning_lines(batch.stderr)) == sorted(expected_warnings("regular-only")
                                                         + expected_warnings("regular-two"))
    for result in (build, check, batch):
        output = result.stdout + result.stderr
        assert "UserWarning" not in output and "warnings.warn" not in output and "Traceback" not in output
        assert not re.search(r"\.py:\d+: ", output), output  # Python's warnings name the source line
    assert (tmp_path / "batch-out" / "regular-two" / "medical-coder-handout.pdf").is_file()


def test_a_note_is_collected_once_in_order():
    first, second = Problem("a.yaml", 3, "x", "one"), Problem("b.yaml", None, "", "two")
    with collecting_notes() as notes:
        note(first)
        note(second)
        note(first)
    assert notes == [first, second]


def test_a_note_outside_a_collector_is_said_not_dropped(capsys):
    note(Problem("a.yaml", 3, "", "removed ZERO WIDTH SPACE"))
    assert capsys.readouterr().err == "warning: a.yaml:3: removed ZERO WIDTH SPACE\n"


def test_nested_collectors_keep_their_own_notes():
    with collecting_notes() as outer:
        with collecting_notes() as inner:
            note(Problem("w", None, "", "inner"))
        note(Problem("p", None, "", "outer"))
    assert [str(n) for n in inner] == ["w: inner"] and [str(n) for n in outer] == ["p: outer"]


# ---- problems and errors ----------------------------------------------------------------------


def test_problem_renders_hint_after_the_message():
    assert str(Problem("g.yaml", 4, "steps", "is empty", "add a step")) == "g.yaml:4: steps: is empty; add a step"
    assert str(Problem(None, None, "", "the font package is missing")) == "the font package is missing"


def test_problem_shows_a_path_as_typed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "content" / "guide.yaml"
    assert str(Problem(absolute, 2, "", "bad")) == f"{display_path(absolute)}:2: bad" == "content/guide.yaml:2: bad"


def test_build_error_carries_problems_and_reads_as_before():
    error = BuildError.at("guide.yaml", None, "", "the handout runs to 3 pages, over its limit of 2",
                          "shorten the guide")
    assert error.exit_code == 1 and len(error.problems) == 1
    assert str(error) == "guide.yaml: the handout runs to 3 pages, over its limit of 2; shorten the guide"
    assert error.message == "the handout runs to 3 pages, over its limit of 2; shorten the guide"
    assert InputError.at("--shard", None, "", "expected K/N").exit_code == 2


def test_a_bare_string_is_refused_not_spelt_out_letter_by_letter():
    with pytest.raises(TypeError):
        BuildError("a block is taller than a page")


def test_internal_error_is_one_line_naming_the_bug():
    assert str(internal_error(KeyError("x"), "guide.yaml")) == \
        "guide.yaml: internal error: KeyError: 'x' (run with --debug for details, and please report it)"


# ---- the code keeps to one path ---------------------------------------------------------------


def _sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}


def test_no_python_warnings_and_no_hand_built_errors_in_the_package():
    for path, text in _sources().items():
        assert "warnings.warn" not in text and "import warnings" not in text, path
        assert "Error([Problem(" not in text, path  # GuidebuilderError.at(...) is the one constructor
        assert "sys.exit" not in text or path.name == "cli.py", path


def test_internal_error_is_worded_in_one_place():
    places = [path.relative_to(PACKAGE).as_posix() for path, text in _sources().items() if "internal error:" in text]
    assert places == ["errors.py"]


def test_the_cli_says_errors_in_one_place():
    cli = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    assert cli.count('f"error: {') == 1 and ".fail(exc)" not in cli
