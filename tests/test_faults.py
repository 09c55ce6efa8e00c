"""Faults mid-run and limits (issue 7, items 4 and 5).

An output folder that cannot be written (we run as root, so chmod cannot make one: the output
path is a file, or lies under one), a full disk, a missing output folder, a worker process that
dies in the middle of a batch, and the limits: too many pages, too big an image, too little
memory. Each ends in a clean error (an `error:` line, exit 1 or 2, no traceback) and leaves no
partial or temporary file behind. Killing the whole batch with SIGKILL is covered in
test_batch.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from pdfhelpers import CONTENT

ERROR_LINE = re.compile(r"^error: [^:]+(:\d+)?: \S")
MINIMAL_GUIDE = {
    "title": "How to Become a Test Pilot",
    "summary": "A short guide for the fault tests.",
    "sections": [{"heading": "What a test pilot does", "body": ["Test pilots fly new aircraft."]}],
    "checklist": {"title": "Your checklist", "groups": [{"heading": "Get ready", "items": ["Earn a licence"]}]},
}


BATCH_SLOW = pytest.param("batch", marks=pytest.mark.slow)  # the quick subset runs the build case

# ---- helpers -------------------------------------------------------------------------------------


def run(args, cwd: Path, timeout: float = 120, limits=None):
    """`python -m guidebuilder ARGS` in `cwd`, optionally with resource limits set in the child."""
    return subprocess.run([sys.executable, "-m", "guidebuilder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limits)


def assert_clean_error(result, codes=(1, 2)) -> list[str]:
    """A clean failure: the exit code, `error:` lines only, no traceback. Returns the error lines."""
    report = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.returncode in codes, report
    assert "Traceback" not in result.stderr + result.stdout, report
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors, report
    for line in errors:
        assert ERROR_LINE.match(line), line
    return errors


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def no_temporaries(folder: Path) -> None:
    assert not [p for p in files_under(folder) if p.endswith(".tmp")], files_under(folder)


def write_guide(folder: Path, data=None, name="guide.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data or MINIMAL_GUIDE, sort_keys=False), encoding="utf-8")
    return path


def write_roster(path: Path, count: int) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "slug", "colors.primary", "contact.website"])
    for i in range(count):
        writer.writerow([f"School {i:02d} College", f"school-{i:02d}", f"#{(i * 40503 + 0x102030) % 0xFFFFFF:06X}",
                         f"https://school-{i:02d}.example.edu"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# ---- the output folder ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", BATCH_SLOW])
def test_output_folder_under_a_file_is_a_clean_error(tmp_path, command):
    """The output path runs through a regular file, so nothing can be created there (the
    root-proof stand-in for a read-only folder)."""
    (tmp_path / "blocker").write_text("a file, not a folder\n")
    write_guide(tmp_path)
    write_roster(tmp_path / "roster.csv", 2)
    args = (["build", "--guide", "guide.yaml"] if command == "build" else
            ["batch", "--roster", "roster.csv", "--jobs", "1"])
    result = run([*args, "--out", "blocker/out"], tmp_path)
    errors = assert_clean_error(result)
    assert any("blocker/out" in line and "cannot write" in line for line in errors), errors
    assert (tmp_path / "blocker").read_text() == "a file, not a folder\n"
    assert files_under(tmp_path) == sorted(["blocker", "guide.yaml", "roster.csv"])


@pytest.mark.parametrize("command", ["build", "batch"])
def test_output_folder_that_is_a_file_is_refused(tmp_path, command):
    (tmp_path / "out").write_text("a file\n")
    write_guide(tmp_path)
    write_roster(tmp_path / "roster.csv", 1)
    args = (["build", "--guide", "guide.yaml"] if command == "build" else ["batch", "--roster", "roster.csv"])
    result = run([*args, "--out", "out"], tmp_path)
    assert result.returncode == 2, result.stderr          # click refuses the option itself
    assert "Traceback" not in result.stderr
    assert "out" in result.stderr and "is a file" in result.stderr
    assert (tmp_path / "out").read_text() == "a file\n"


def test_pdf_path_taken_by_a_folder_leaves_no_temporary_file(tmp_path):
    write_guide(tmp_path)
    (tmp_path / "out" / "default" / "guide-handout.pdf").mkdir(parents=True)
    result = run(["build", "--guide", "guide.yaml", "--layout", "handout", "--out", "out"], tmp_path)
    errors = assert_clean_error(result, codes=(1,))
    assert any("guide-handout.pdf" in line for line in errors), errors
    assert (tmp_path / "out" / "default" / "guide-handout.pdf").is_dir()
    no_temporaries(tmp_path / "out")
    assert files_under(tmp_path / "out") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; see the tests above")
def test_read_only_output_folder_is_a_clean_error(tmp_path):
    write_guide(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out").chmod(0o555)
    try:
        result = run(["build", "--guide", "guide.yaml", "--out", "out"], tmp_path)
    finally:
        (tmp_path / "out").chmod(0o755)
    assert_clean_error(result)
    assert files_under(tmp_path / "out") == []


def test_full_disk_leaves_no_partial_pdf(tmp_path):
    """A file-size limit makes every write past 8 kB fail (EFBIG), as a full disk would."""
    import resource

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # fail the write instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))

    write_guide(tmp_path)
    result = run(["build", "--guide", "guide.yaml", "--out", "out"], tmp_path, limits=full_disk)
    errors = assert_clean_error(result, codes=(1,))
    assert any("cannot write" in line for line in errors), errors
    no_temporaries(tmp_path / "out")
    for rel in files_under(tmp_path / "out"):  # whatever was written before the disk filled is whole
        assert PdfReader(tmp_path / "out" / rel).pages


@pytest.mark.parametrize("command", ["build", BATCH_SLOW])
def test_missing_output_folder_is_created(tmp_path, command):
    write_guide(tmp_path)
    write_roster(tmp_path / "roster.csv", 1)
    out = tmp_path / "not" / "there" / "yet"
    args = (["build", "--guide", "guide.yaml", "--layout", "checklist"] if command == "build" else
            ["batch", "--roster", "roster.csv", "--layout", "checklist", "--jobs", "1"])
    result = run([*args, "--out", out], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    pdfs = [p for p in files_under(out) if p.endswith(".pdf")]
    assert pdfs == (["default/guide-checklist.pdf"] if command == "build" else
                    ["school-00/medical-coder-checklist.pdf"]), files_under(out)
    no_temporaries(out)


# ---- a worker that dies --------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid`."""
    from pdfhelpers import live_processes

    return live_processes(1, pid)


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_for(predicate, timeout: float, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


SCHOOLS = [f"school-{i:02d}" for i in range(40)]


@pytest.fixture(scope="module")
def worker_killed(tmp_path_factory):
    """A 40-school batch (--jobs 2) with one worker killed (SIGKILL) once the pool is at work."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("finds worker processes in /proc")
    folder = tmp_path_factory.mktemp("worker-killed")
    write_roster(folder / "roster.csv", len(SCHOOLS))
    out, logs = folder / "out", folder / "logs"
    logs.mkdir()
    with (logs / "stdout").open("wb") as stdout, (logs / "stderr").open("wb") as stderr:
        batch = subprocess.Popen([sys.executable, "-m", "guidebuilder", "batch", "--roster", "roster.csv", "--jobs",
                                  "2", "--out", "out"], cwd=folder, stdout=stdout, stderr=stderr,
                                 start_new_session=True)
    try:
        # Once a PDF is out the pool is at work: SIGKILL one worker (a fork of the batch process).
        assert wait_for(lambda: list(out.rglob("*.pdf")), 60), "no PDF appeared"
        workers = wait_for(lambda: [p for p in children_of(batch.pid) if cmdline(p) == cmdline(batch.pid)], 10)
        assert workers, "no worker process found"
        assert batch.poll() is None, "the batch finished before a worker could be killed"
        os.kill(workers[0], signal.SIGKILL)
        batch.wait(timeout=120)
    finally:
        try:
            os.killpg(batch.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    err = (logs / "stderr").read_text(encoding="utf-8", errors="replace")
    lines = err[err.index("failures:"):].splitlines()[1:] if "failures:" in err else []
    summary = re.search(r"^built (\d+), up to date 0, failed (\d+) school\(s\)", err, re.MULTILINE)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    return {"folder": folder, "out": out, "returncode": batch.returncode, "stderr": err, "summary": summary,
            "failure_lines": [line for line in lines if line.startswith("  ") and not line.startswith("    ")],
            "failed": {line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("    ")},
            "manifest": manifest, "built": {rel.split("/")[0] for rel in manifest}}


@pytest.mark.slow
def test_a_worker_that_dies_fails_its_schools_and_the_batch_carries_on(worker_killed):
    run_ = worker_killed
    assert "Traceback" not in run_["stderr"], run_["stderr"]
    assert run_["returncode"] == 1, run_["stderr"]
    # The schools the dead worker held are reported as failed, each by name ...
    assert run_["failed"] and run_["failed"] <= set(SCHOOLS), run_["stderr"]
    assert all("the worker building it stopped unexpectedly" in line for line in run_["failure_lines"]), run_["stderr"]
    assert run_["summary"] and int(run_["summary"][2]) == len(run_["failed"]), run_["stderr"]
    # ... the batch carried on to the end of the roster, and what it built is whole and recorded.
    assert SCHOOLS[-1] in run_["built"]
    assert not run_["built"] & run_["failed"]
    assert int(run_["summary"][1]) == len(run_["manifest"]) == 2 * len(run_["built"])
    # No partial PDF under its final name. The killed worker may have left the temporary file of
    # the one PDF it was writing (removed by the next run, see the rerun test); its PDF is not
    # recorded.
    left = [p for p in files_under(run_["out"]) if p.endswith(".tmp")]
    assert len(left) <= 1, left
    assert not {re.sub(r"/\.(.+\.pdf)\.[^./]+\.tmp$", r"/\1", p) for p in left} & set(run_["manifest"]), left
    on_disk = {p for p in files_under(run_["out"]) if p.endswith(".pdf")}
    assert set(run_["manifest"]) <= on_disk
    for rel in on_disk:  # also one the killed worker renamed into place before it died
        assert PdfReader(run_["out"] / rel, strict=True).pages, rel


@pytest.mark.slow
def test_no_school_is_lost_when_a_worker_dies(worker_killed):
    missing = set(SCHOOLS) - worker_killed["built"] - worker_killed["failed"]
    assert not missing, f"neither built nor reported as failed: {sorted(missing)}\n{worker_killed['stderr']}"


@pytest.mark.slow
def test_rerun_after_a_worker_died_completes_the_batch(worker_killed, tmp_path):
    # On a copy (mtimes kept, so the manifest still matches): the killed run's folder stays as it
    # was for the other tests, whichever runs first.
    folder = tmp_path / "copy"
    shutil.copytree(worker_killed["folder"], folder)
    out = folder / "out"
    rerun = run(["batch", "--roster", "roster.csv", "--jobs", "2", "--out", "out"], folder)
    assert rerun.returncode == 0, rerun.stderr
    done = len(worker_killed["manifest"])
    assert re.search(rf"^built {2 * len(SCHOOLS) - done}, up to date {done}, failed 0", rerun.stderr, re.MULTILINE), \
        rerun.stderr
    assert {p.parent.name for p in out.rglob("*.pdf")} == set(SCHOOLS)
    no_temporaries(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert set(manifest) == {p for p in files_under(out) if p.endswith(".pdf")}
    assert len(manifest) == 2 * len(SCHOOLS)


# ---- limits ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_guide_over_the_page_limit_is_a_clear_error(tmp_path):
    text = ("Coders read clinical documentation and assign standard codes for every diagnosis and procedure. " * 12)
    guide = dict(MINIMAL_GUIDE, sections=[{"heading": f"Section {i}", "body": [text] * 4} for i in range(8)])
    write_guide(tmp_path, guide)
    result = run(["build", "--guide", "guide.yaml", "--out", "out"], tmp_path)
    errors = assert_clean_error(result, codes=(1,))
    assert len(errors) == 1
    match = re.fullmatch(r"error: guide\.yaml: the handout runs to (\d+) pages, over its limit of (\d+); "
                         r"shorten the guide", errors[0])
    assert match, errors
    assert int(match[1]) > int(match[2]) == 4
    assert not (tmp_path / "out").exists(), files_under(tmp_path / "out")  # not even the checklist


def test_image_over_the_size_limit_stops_the_build(tmp_path):
    school = tmp_path / "big"
    school.mkdir()
    (school / "school.yaml").write_text('name: Big College\ncolors:\n  primary: "#123456"\nlogo: logo.png\n')
    with (school / "logo.png").open("wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(10_000_001)
    write_guide(tmp_path)
    result = run(["build", "--guide", "guide.yaml", "--school", "big", "--out", "out"], tmp_path)
    errors = assert_clean_error(result, codes=(2,))
    assert errors == ['error: big/school.yaml:4: logo: "logo.png": image is 10,000,001 bytes, over the '
                      '10,000,000 byte limit'], errors
    assert not (tmp_path / "out").exists()


def _memory_budget(limit: int):
    def apply():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def test_run_over_a_memory_budget_stops_with_a_clear_error(tmp_path):
    from guidebuilder.render.fonts import default_font_dir

    school = tmp_path / "heavy"
    school.mkdir()
    (school / "school.yaml").write_text('name: Heavy College\ncolors:\n  primary: "#123456"\n'
                                        "fonts:\n  regular: Heavy.ttf\n")
    with (school / "Heavy.ttf").open("wb") as handle:    # a real font padded to 300 MB (sparse)
        handle.write((default_font_dir() / "SourceSansPro-Regular.ttf").read_bytes())
        handle.truncate(300_000_000)
    write_guide(tmp_path)
    result = run(["build", "--guide", "guide.yaml", "--school", "heavy", "--layout", "checklist", "--out", "out"],
                 tmp_path, limits=_memory_budget(600 * 1024 ** 2))
    assert_clean_error(result)
    assert not (tmp_path / "out").exists()
