"""The bad-input corpus (issue 7): every case in tests/bad_inputs/ against the error contract.

Each case is a folder `NN-short-name/` (or `NNN-`) holding the input files and a `case.yaml`:

    description: what the case is about
    args: [check, school.yaml]          # the command line, after `python -m guidebuilder`
    exit: 2                             # the exit code (or a list of acceptable codes)
    stderr:                             # every non-empty stderr line, in order; an item is the
      - 'error: school.yaml:3: ...'     #   exact line ("{case}" stands for the case folder's
                                        #   name), or {re: PATTERN} (a full match)
    stderr_each: PATTERN                # instead of `stderr`: every line must match PATTERN
    make: true                          # run make.py in the case's copy first (generated inputs)
    timeout: 30                         # seconds (default 60)
    pdf_text: {PATH: [TEXT, ...]}       # success cases: texts the PDF must hold, literally
    pdf_text_absent: {GLOB: [TEXT]}     # texts no PDF matching GLOB may hold
    files_after: [PATH, ...]            # files that must exist afterwards (partial batches)
    xfail: "BUG: ..."                   # a known product bug: the assertion is the correct one
    slow: true                          # takes seconds (a build, a huge input): left out of
                                        #   the quick subset, pytest -m "not slow"

A case runs as a real process (`python -m guidebuilder ...`) in a temporary copy of its folder,
under a memory and time limit, so a case that would hang or eat all memory fails the test
instead of the machine. The contract, for every case: the expected exit code and stderr; every
`error:` line reads `error: FILE[:LINE]: [key.path: ]message`; no traceback; no temporary file
left anywhere; and, for bad input (exit 2) or a failed build, nothing written: the case folder
is byte-for-byte what it was, no output folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from pdfhelpers import contains_text, pdf_text

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
ERROR_LINE = re.compile(r"^error: [^:]+(:\d+)?: ")
MEMORY_LIMIT = 2 * 1024 ** 3        # bytes of address space for one run
DEFAULT_TIMEOUT = 60


# ---- the corpus ------------------------------------------------------------------------------


def case_folders() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "case.yaml").is_file())


def spec_of(folder: Path) -> dict:
    return yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))


def _params():
    params = []
    for folder in case_folders():
        spec = spec_of(folder)
        marks = [pytest.mark.xfail(strict=True, reason=spec["xfail"])] if spec.get("xfail") else []
        if spec.get("slow"):
            marks.append(pytest.mark.slow)
        params.append(pytest.param(folder, id=folder.name, marks=marks))
    return params


# ---- running a case --------------------------------------------------------------------------


def _limits():  # in the child, before exec: a bomb must not take the machine with it
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def prepare(folder: Path, tmp_path: Path) -> Path:
    """A fresh copy of the case folder, with make.py run in it when the case has one."""
    work = tmp_path / folder.name
    shutil.copytree(folder, work, symlinks=True)
    (work / "case.yaml").unlink()
    if (work / "make.py").is_file():
        subprocess.run([sys.executable, "make.py"], cwd=work, check=True, timeout=60)
        (work / "make.py").unlink()
    return work


def run_cli(args, cwd: Path, timeout: float = DEFAULT_TIMEOUT, debug: bool = False):
    """`python -m guidebuilder [--debug] ARGS` in `cwd`; None when it ran out of time."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    command = [sys.executable, "-m", "guidebuilder", *(["--debug"] if debug else []), *map(str, args)]
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace", env=env,
                              timeout=timeout, preexec_fn=_limits if sys.platform.startswith("linux") else None)
    except subprocess.TimeoutExpired:
        return None


def snapshot(folder: Path) -> dict:
    """Every file and folder under `folder` (symbolic links not followed), with size and mtime."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = path.lstat()
            found[path.relative_to(folder).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def line_matches(line: str, expected, case: str) -> bool:
    """`expected` is the exact line ("{case}" stands for the case folder's name) or {re: PATTERN}."""
    if isinstance(expected, dict):
        return re.fullmatch(expected["re"], line) is not None
    return line == expected.replace("{case}", case)


def describe(result) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# ---- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", _params())
def test_bad_input_case(folder: Path, tmp_path):
    spec = spec_of(folder)
    work = prepare(folder, tmp_path)
    before = snapshot(work)
    result = run_cli(spec["args"], work, spec.get("timeout", DEFAULT_TIMEOUT))
    assert result is not None, f"{folder.name}: no answer within {spec.get('timeout', DEFAULT_TIMEOUT)} s"
    report = describe(result)

    # No traceback, ever; every error line in the FILE[:LINE]: [key.path: ]message form.
    assert "Traceback" not in result.stderr + result.stdout, report
    errors = [line for line in lines_of(result.stderr) if line.startswith("error")]
    for line in errors:
        assert ERROR_LINE.match(line), f"not FILE[:LINE]: message: {line!r}\n{report}"

    # The exit code and the exact lines.
    codes = spec["exit"] if isinstance(spec["exit"], list) else [spec["exit"]]
    assert result.returncode in codes, report
    got = lines_of(result.stderr)
    if "stderr" in spec:
        wanted = spec["stderr"]
        assert len(got) == len(wanted) and all(line_matches(g, w, folder.name) for g, w in zip(got, wanted)), \
            f"stderr differs\n--- expected\n" + "\n".join(map(str, wanted)) + f"\n{report}"
    if "stderr_each" in spec:
        for line in got:
            assert re.fullmatch(spec["stderr_each"], line), f"unexpected line {line!r}\n{report}"
    if result.returncode == 0:
        assert not errors, report

    # Nothing half-written anywhere; nothing at all for bad input.
    after = snapshot(work)
    temporaries = [p for p in after if p.endswith(".tmp")]
    assert not temporaries, temporaries
    if result.returncode == 2 or (result.returncode != 0 and spec["args"][0] == "build"):
        # Bad input, or a build that failed: not one file written, not even a folder.
        assert after == before, f"the failed run changed the folder: {sorted(set(after) ^ set(before))}"
    for rel in spec.get("files_after", []):
        assert (work / rel).is_file(), f"{rel} was not written\n{report}"

    # Success cases: the text prints literally.
    for rel, texts in (spec.get("pdf_text") or {}).items():
        text = pdf_text(PdfReader(work / rel))
        for wanted in texts:
            assert contains_text(text, wanted), f"{wanted!r} is not in {rel}:\n{text}"
    for pattern, texts in (spec.get("pdf_text_absent") or {}).items():
        for rel in sorted(after):
            if fnmatch.fnmatch(rel, pattern):
                text = pdf_text(PdfReader(work / rel))
                for unwanted in texts:
                    assert unwanted not in text, f"{unwanted!r} leaked into {rel}"


def test_the_corpus_covers_enough_cases():
    folders = case_folders()
    assert len(folders) >= 50, len(folders)
    for folder in folders:
        assert re.fullmatch(r"\d{2,3}-[a-z0-9-]+", folder.name), folder.name  # issue 11 numbers cases from 100 up
        spec = spec_of(folder)
        assert spec.get("description") and spec.get("args") and "exit" in spec, folder.name
        assert "stderr" in spec or "stderr_each" in spec or "pdf_text" in spec, folder.name
        assert spec.get("slow", False) in (True, False), f"{folder.name}: slow is true or false"
        for path in folder.rglob("*"):  # small, hand-made inputs: big ones come from make.py
            assert path.is_symlink() or not path.is_file() or path.stat().st_size < 64_000, path
    names = [f.name.split("-", 1)[1] for f in folders]
    assert len(set(names)) == len(names)


def test_several_problems_of_one_file_are_reported_in_one_run():
    """The corpus holds cases with several problems in one file, and expects every one."""
    several = [f.name for f in case_folders()
               if sum(1 for line in spec_of(f).get("stderr", []) if isinstance(line, str) and line.startswith("error:")
                      or isinstance(line, dict) and line["re"].startswith("error:")) >= 3]
    assert len(several) >= 8, several


# ---- --debug shows what the contract hides --------------------------------------------------------


@pytest.mark.parametrize("name", ["unknown-keys-school", pytest.param("guide-is-a-folder", marks=pytest.mark.slow),
                                  pytest.param("layout-python-class", marks=pytest.mark.slow)])
def test_debug_flag_shows_a_traceback(name, tmp_path):
    folder = next(f for f in case_folders() if f.name[3:] == name)
    spec = spec_of(folder)
    work = prepare(folder, tmp_path)
    quiet = run_cli(spec["args"], work)
    loud = run_cli(spec["args"], work, debug=True)
    assert quiet is not None and loud is not None
    assert "Traceback" not in quiet.stderr
    assert "Traceback (most recent call last)" in loud.stderr, loud.stderr
    assert "InputError" in loud.stderr, loud.stderr
    assert loud.returncode != 0
    assert not (work / "out").exists()
