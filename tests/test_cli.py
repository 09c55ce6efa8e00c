"""The command line, through click's CliRunner and as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import guidebuilder
from pdfhelpers import PAGE_POINTS, cli_runner


def run_module(args, cwd, **env):
    """`python -m guidebuilder ARGS` in `cwd`; returns the CompletedProcess."""
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def invoke(args):
    from guidebuilder.cli import main

    return cli_runner().invoke(main, args, catch_exceptions=True)


# ---- build from an empty folder -------------------------------------------------------------


def test_build_from_an_empty_folder_as_a_process(tmp_path, built):
    result = run_module(["build", "--out", "out"], tmp_path, PYTHONHASHSEED="4242")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    handout = tmp_path / "out" / "default" / "medical-coder-handout.pdf"
    checklist = tmp_path / "out" / "default" / "medical-coder-checklist.pdf"
    assert handout.is_file() and checklist.is_file()
    assert str(Path("out") / "default" / "medical-coder-handout.pdf") in result.stdout
    assert str(Path("out") / "default" / "medical-coder-checklist.pdf") in result.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "default").iterdir()) == \
        ["medical-coder-checklist.pdf", "medical-coder-handout.pdf"]
    # Another process (another hash seed, another folder) writes the very same bytes.
    assert handout.read_bytes() == built("default", "handout", "letter").data
    assert checklist.read_bytes() == built("default", "checklist", "letter").data


def test_build_with_runner_prints_the_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["build", "--layout", "checklist", "--out", "print"])
    assert result.exit_code == 0, result.output
    path = Path("print") / "default" / "medical-coder-checklist.pdf"
    assert (tmp_path / path).is_file()
    assert str(path) in result.stdout
    assert not (tmp_path / "print" / "default" / "medical-coder-handout.pdf").exists()


@pytest.mark.parametrize("size_arg", ["a4", "A4"])
def test_build_lakeside_on_a4(tmp_path, monkeypatch, size_arg):
    monkeypatch.chdir(tmp_path)
    layouts = [] if size_arg == "a4" else ["--layout", "checklist"]
    result = invoke(["build", "--school", "lakeside", "--page-size", size_arg, "--out", "out", *layouts])
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out" / "lakeside").glob("*.pdf"))
    assert [p.name for p in written] == (["medical-coder-checklist.pdf", "medical-coder-handout.pdf"]
                                         if size_arg == "a4" else ["medical-coder-checklist.pdf"])
    for path in written:
        for page in PdfReader(path).pages:
            assert float(page.mediabox.width) == pytest.approx(PAGE_POINTS["a4"][0], abs=0.5)
            assert float(page.mediabox.height) == pytest.approx(PAGE_POINTS["a4"][1], abs=0.5)


def test_unknown_page_size_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["build", "--page-size", "legal", "--out", "out"])
    assert result.exit_code == 2
    assert "legal" in result.output
    assert not (tmp_path / "out").exists()


# ---- version and help -----------------------------------------------------------------------


def test_version_with_runner():
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert "guidebuilder" in result.output and guidebuilder.__version__ in result.output


def test_version_as_a_process(tmp_path):
    result = run_module(["--version"], tmp_path)
    assert result.returncode == 0
    assert guidebuilder.__version__ in result.stdout


def test_console_script(tmp_path):
    script = shutil.which("guidebuilder")
    if script is None:
        pytest.skip("the guidebuilder console script is not on PATH (package not installed)")
    result = subprocess.run([script, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert guidebuilder.__version__ in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["build", "--help"], ["check", "--help"]])
def test_help_has_examples(args):
    result = invoke(args)
    assert result.exit_code == 0
    assert "Examples" in result.output
    assert "guidebuilder " in result.output.split("Examples", 1)[1]


def test_build_help_lists_its_options():
    result = invoke(["build", "--help"])
    for option in ("--guide", "--school", "--layout", "--out", "--page-size"):
        assert option in result.output


# ---- check -----------------------------------------------------------------------------------


def test_check_everything_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["check"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("ok")]
    text = "\n".join(lines)
    assert "medical-coder.yaml (guide)" in text
    for slug in ("default", "lakeside", "riverbend"):
        assert f"{slug}{os.sep}school.yaml (school)" in text
    assert "handout.xml.j2 (layout)" in text and "checklist.xml.j2 (layout)" in text
    assert "_macros" not in text


def test_check_one_good_school(tmp_path, monkeypatch):
    from pdfhelpers import school_file

    monkeypatch.chdir(tmp_path)
    result = invoke(["check", str(school_file("riverbend"))])
    assert result.exit_code == 0
    assert "(school)" in result.stdout
