"""`guidebuilder batch` (issue 4): many schools, from folders or a roster CSV, in parallel,
incrementally, with shards, a print file, failure isolation and interrupt safety.

Rosters, logos and working folders are generated in tmp_path. Runs that need real worker
processes go through `python -m guidebuilder batch ... --jobs 2` in a subprocess; quick
argument errors go through click's CliRunner.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from pdfhelpers import CONTENT, LAYOUTS_DIR, REPO, cli_runner, contains_text, image_xobjects, pdf_text

GUIDE_ID = "medical-coder"
LAYOUT_ORDER = ("handout", "checklist")
SUMMARY = re.compile(r"^built (\d+), up to date (\d+), failed (\d+) school\(s\) in (\d+(?:\.\d+)?) s "
                     r"\((\d+) documents/s\)$", re.MULTILINE)
HEADER = ["name", "slug", "colors.primary", "contact.website", "program.name", "program.url", "logo"]


# ---- helpers -------------------------------------------------------------------------------


def run_batch(args, cwd, timeout=120):
    """`python -m guidebuilder batch ARGS` in `cwd` (stdout and stderr are pipes, not a terminal)."""
    return subprocess.run([sys.executable, "-m", "guidebuilder", "batch", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def start_batch(args, cwd, logs: Path):
    """The same, started in a new session (its own process group) so the test can signal it.
    Output goes to files in `logs` (not pipes: a process left behind must not block the test)."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "stdout").open("wb") as stdout, (logs / "stderr").open("wb") as stderr:
        return subprocess.Popen([sys.executable, "-m", "guidebuilder", "batch", *map(str, args)], cwd=cwd,
                                stdout=stdout, stderr=stderr, start_new_session=True)


def invoke(args):
    from guidebuilder.cli import main

    return cli_runner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def summary_of(stderr: str) -> dict:
    """The counts in the one summary line (there must be exactly one)."""
    found = SUMMARY.findall(stderr)
    assert len(found) == 1, f"expected one summary line in:\n{stderr}"
    built, fresh, failed, seconds, rate = found[0]
    return {"built": int(built), "fresh": int(fresh), "failed": int(failed), "seconds": float(seconds),
            "rate": int(rate)}


def pdfs(out: Path) -> set[str]:
    """Every PDF under `out`, as school/file paths."""
    return {p.relative_to(out).as_posix() for p in out.rglob("*.pdf")} if out.exists() else set()


def mtimes(out: Path) -> dict[str, int]:
    return {rel: (out / rel).stat().st_mtime_ns for rel in pdfs(out)}


def expected(slugs, layouts=LAYOUT_ORDER, guides=(GUIDE_ID,)) -> set[str]:
    return {f"{s}/{g}-{layout}.pdf" for s in slugs for g in guides for layout in layouts}


def page_count(path: Path) -> int:
    return len(PdfReader(path).pages)


def write_png(path: Path, rgb=(200, 30, 30), size=(40, 20)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).save(path)
    return path


def roster_row(i: int, slug: str | None = None, colour: str | None = None) -> list[str]:
    slug = slug or f"school-{i:02d}"
    return [f"School {i:02d} College", slug, colour or f"#{(i * 40503 + 0x102030) % 0xFFFFFF:06X}",
            f"https://{slug}.example.edu", "Medical Coding Certificate", f"https://{slug}.example.edu/coding",
            "logo.png"]


def write_roster(path: Path, rows, header=HEADER, bom=False, logo=True) -> Path:
    """A CSV with `header` and `rows` (lists of cells, written verbatim), a logo.png beside it."""
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    if logo:
        write_png(path.parent / "logo.png")
    return path


def workspace(tmp_path: Path) -> Path:
    """A working folder with its own copy of content/ and layouts/ (read before the built-in ones)."""
    ws = tmp_path / "ws"
    shutil.copytree(CONTENT, ws / "content")
    shutil.copytree(LAYOUTS_DIR, ws / "layouts")
    return ws


def assert_clean_output(out: Path) -> None:
    """No temporary files, and every PDF is complete: non-empty, ends with %%EOF, opens with pypdf."""
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "temporary files were left behind"
    for path in out.rglob("*.pdf"):
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{path} is truncated"
        assert len(PdfReader(path).pages) >= 1


def load_manifest(out: Path) -> dict:
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("outputs"), dict)
    return data["outputs"]


def assert_manifest_matches_files(out: Path, outputs: dict) -> None:
    """Every manifest entry names a PDF on disk whose bytes hash to the recorded value."""
    for rel, entry in outputs.items():
        assert re.fullmatch(r"[0-9a-f]{64}", entry["inputs"]), entry
        data = (out / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["pdf"], rel


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`."""
    from pdfhelpers import live_processes

    return live_processes(2, pgid)


def kill_group(pgid: int) -> None:
    """Make sure nothing this test started is left running."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def signal_group(process, signum: int, timeout: float) -> None:
    """Send `signum` to the batch's process group, as a terminal (Ctrl-C) or `kill` would, and
    wait for the batch and its workers to end; whatever is left is killed."""
    try:
        os.killpg(process.pid, signum)
        process.wait(timeout=timeout)
        wait_for(lambda: not group_members(process.pid), 5)
    finally:
        kill_group(process.pid)


def wait_for(predicate, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# ---- 1. same bytes as `build` ----------------------------------------------------------------


@pytest.mark.slow
def test_batch_output_is_byte_identical_to_build(tmp_path, monkeypatch):
    schools = ["lakeside", "riverbend", "summit-ridge", "default"]  # summit-ridge: its own fonts
    result = run_batch([*schools, "--jobs", "2", "--out", tmp_path / "batch"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert summary_of(result.stderr)["built"] == 8

    monkeypatch.chdir(REPO)
    for school in schools:
        single = invoke(["build", "--school", school, "--out", tmp_path / "single"])
        assert single.exit_code == 0, single.output
    assert pdfs(tmp_path / "batch") == pdfs(tmp_path / "single") == expected(schools)
    for rel in expected(schools):
        assert (tmp_path / "batch" / rel).read_bytes() == (tmp_path / "single" / rel).read_bytes(), rel


# ---- 2. rosters ------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [pytest.param(True, marks=pytest.mark.slow), False], ids=["utf8-bom", "utf8"])
def test_roster_builds_good_rows_and_reports_bad_ones(tmp_path, bom):
    rows = [
        roster_row(1, "alpha"),                                   # line 2
        roster_row(2, "beta"),                                    # line 3
        roster_row(3, "bad", colour="notacolour"),                # line 4
        roster_row(4, "gamma"),                                   # line 5
        ["Short College", "short", "#445566"],                    # line 6: missing cells
    ]
    write_roster(tmp_path / "sheet" / "roster.csv", rows, bom=bom)
    # Run from the parent folder: the logo must be found next to the CSV, not in the cwd.
    result = run_batch(["--roster", Path("sheet") / "roster.csv", "--jobs", "2", "--out", "out"], cwd=tmp_path)
    out = tmp_path / "out"
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert pdfs(out) == expected(["alpha", "beta", "gamma"])
    assert_clean_output(out)
    counts = summary_of(result.stderr)
    assert (counts["built"], counts["failed"]) == (6, 2)

    csv_name = str(Path("sheet") / "roster.csv")
    lines = result.stderr.splitlines()
    bad = [line for line in lines if f"{csv_name}:4" in line]
    assert bad and all("colors.primary" in line and "notacolour" in line for line in bad), result.stderr
    short = [line for line in lines if f"{csv_name}:6" in line]
    assert short and all("cell" in line for line in short), result.stderr

    # The header's first column (after a BOM) was read, and the logo beside the CSV is on the page.
    handout = PdfReader(out / "alpha" / "medical-coder-handout.pdf")
    assert contains_text(pdf_text(handout), "School 01 College")
    assert [(x.get("/Width"), x.get("/Height")) for _, x in image_xobjects(handout.pages[0])] == [(40, 20)]


def test_roster_unknown_column_is_bad_input_for_the_whole_file(tmp_path):
    header = ["name", "slug", "colours.primary", "logo"]
    write_roster(tmp_path / "roster.csv", [["Alpha College", "alpha", "#112233", "logo.png"]], header=header)
    result = run_batch(["--roster", "roster.csv", "--out", "out", "--jobs", "2"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = next((x for x in result.stderr.splitlines() if "roster.csv:1" in x), "")
    assert "colours.primary" in line and 'did you mean "colors' in line, result.stderr
    assert pdfs(tmp_path / "out") == set()


def test_roster_that_is_not_utf8_is_rejected_clearly(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("name,slug,colors.primary\nCaf\u00e9 College,cafe,#112233\n".encode("latin-1"))
    result = run_batch(["--roster", "roster.csv", "--out", "out", "--jobs", "2"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "roster.csv:2" in result.stderr and "UTF-8" in result.stderr
    assert pdfs(tmp_path / "out") == set()


@pytest.mark.slow
def test_roster_row_builds_the_same_bytes_as_the_school_folder(tmp_path):
    """A roster row holding exactly lakeside's school.yaml gives lakeside's PDFs, byte for byte."""
    import yaml

    data = yaml.safe_load((CONTENT / "schools" / "lakeside" / "school.yaml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {"slug": "lakeside"}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(prefix + [key], item)
        else:
            flat[".".join(prefix)] = str(value)

    walk([], data)
    write_roster(tmp_path / "sheet" / "roster.csv", [list(flat.values())], header=list(flat), logo=False)
    shutil.copy(CONTENT / "schools" / "lakeside" / "logo.svg", tmp_path / "sheet" / "logo.svg")
    from_roster = run_batch(["--roster", tmp_path / "sheet" / "roster.csv", "--out", tmp_path / "a"], cwd=tmp_path)
    from_folder = run_batch(["lakeside", "--out", tmp_path / "b"], cwd=REPO)
    assert from_roster.returncode == 0, from_roster.stderr
    assert from_folder.returncode == 0, from_folder.stderr
    for rel in expected(["lakeside"]):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


@pytest.mark.slow
def test_duplicate_slug_row_does_not_cost_the_good_row_its_manifest_entry(tmp_path):
    rows = [roster_row(1, "alpha"), roster_row(2, "beta"), roster_row(3, "alpha", colour="#000000")]
    write_roster(tmp_path / "roster.csv", rows)
    args = ["--roster", "roster.csv", "--out", "out", "--jobs", "1"]
    first = run_batch(args, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "roster.csv:4" in first.stderr and "slug" in first.stderr
    assert pdfs(tmp_path / "out") == expected(["alpha", "beta"])
    # The good alpha row (line 2) was built from unchanged inputs: a rerun finds it up to date,
    # and the print file holds it.
    second = run_batch([*args, "--combine", "all.pdf"], cwd=tmp_path)
    counts = summary_of(second.stderr)
    assert (counts["built"], counts["fresh"]) == (0, 4), second.stderr
    assert (tmp_path / "all.pdf").is_file()
    assert page_count(tmp_path / "all.pdf") == sum(page_count(tmp_path / "out" / r)
                                                    for r in expected(["alpha", "beta"]))


# ---- 3. incremental --------------------------------------------------------------------------


@pytest.mark.slow
def test_incremental_rebuilds_exactly_what_changed(tmp_path):
    ws = workspace(tmp_path)
    out = ws / "out"
    args = ["lakeside", "riverbend", "--jobs", "2", "--out", "out"]
    everything = expected(["lakeside", "riverbend"])
    river = expected(["riverbend"])

    def run(*extra):
        result = run_batch([*args, *extra], cwd=ws)
        assert result.returncode == 0, result.stderr
        counts = summary_of(result.stderr)
        return counts["built"], counts["fresh"]

    assert run() == (4, 0)
    outputs = load_manifest(out)
    assert set(outputs) == everything
    assert_manifest_matches_files(out, outputs)

    # A rerun builds nothing and touches nothing.
    before = mtimes(out)
    assert run() == (0, 4)
    assert mtimes(out) == before

    # One school's colour: only its two documents.
    school = ws / "content" / "schools" / "riverbend" / "school.yaml"
    school.write_text(school.read_text(encoding="utf-8").replace("#7A1F2B", "#1F7A2B"), encoding="utf-8")
    assert run() == (2, 2)
    after = mtimes(out)
    assert {rel for rel in everything if after[rel] != before[rel]} == river

    # One school's logo file (school.yaml unchanged): only that school.
    write_png(ws / "content" / "schools" / "riverbend" / "logo.png", rgb=(10, 120, 10), size=(60, 30))
    assert run() == (2, 2)

    # --force: everything.
    assert run("--force") == (4, 0)

    # A deleted PDF: just that one.
    (out / "lakeside" / "medical-coder-checklist.pdf").unlink()
    before = mtimes(out)
    assert run() == (1, 3)
    assert (out / "lakeside" / "medical-coder-checklist.pdf").is_file()
    assert {rel: t for rel, t in mtimes(out).items() if rel in before} == before

    # A layout file (a template comment only): everything.
    with (ws / "layouts" / "handout.xml.j2").open("a", encoding="utf-8") as handle:
        handle.write("\n{# a comment that changes nothing on the page #}\n")
    assert run() == (4, 0)

    # The guide: everything.
    with (ws / "content" / "medical-coder.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n# reviewed again\n")
    assert run() == (4, 0)
    assert run() == (0, 4)

    # A corrupt manifest is not fatal: everything is rebuilt and the manifest rewritten.
    (out / "manifest.json").write_text('{"version": 1, "outputs": {"lakes', encoding="utf-8")
    assert run() == (4, 0)
    outputs = load_manifest(out)
    assert set(outputs) == everything
    assert_manifest_matches_files(out, outputs)
    assert_clean_output(out)


# ---- 4. shards -------------------------------------------------------------------------------


@pytest.mark.slow
def test_shards_are_stable_disjoint_and_cover_the_work(tmp_path):
    rows = [roster_row(i) for i in range(12)]
    slugs = [row[1] for row in rows]
    write_roster(tmp_path / "ordered" / "roster.csv", rows)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != rows
    write_roster(tmp_path / "shuffled" / "roster.csv", shuffled)
    common = ["--layout", "checklist", "--jobs", "2"]

    # Shards 1..3 one after another into the same folder (as a CI matrix sharing storage would).
    shared = tmp_path / "shared"
    slices = []
    for k in (1, 2, 3):
        before = pdfs(shared)
        result = run_batch(["--roster", "ordered/roster.csv", "--shard", f"{k}/3", "--out", shared, *common],
                           cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert pdfs(shared) >= before
        slices.append(pdfs(shared) - before)
        assert summary_of(result.stderr)["built"] == len(slices[-1])
    full = expected(slugs, layouts=("checklist",))
    assert sum(len(s) for s in slices) == len(full)          # disjoint ...
    assert set().union(*slices) == full                     # ... and covering
    assert sum(1 for s in slices if s) >= 2, "12 schools all in one slice: the slicing is not spreading work"

    # The same school lands in the same slice whatever the row order.
    for k in (1, 2, 3):
        out = tmp_path / f"shuffled-{k}"
        result = run_batch(["--roster", "shuffled/roster.csv", "--shard", f"{k}/3", "--out", out, *common],
                           cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert pdfs(out) == slices[k - 1]

    # After all slices ran, the whole roster is up to date in the shared folder.
    result = run_batch(["--roster", "ordered/roster.csv", "--out", shared, *common], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    counts = summary_of(result.stderr)
    assert (counts["built"], counts["fresh"]) == (0, 12)


@pytest.mark.parametrize("shard", ["4/3", "0/3", "x/3", "3", "1/0"])
def test_bad_shard_is_a_usage_error(tmp_path, monkeypatch, shard):
    monkeypatch.chdir(tmp_path)
    result = invoke(["batch", "lakeside", "--shard", shard, "--out", "out", "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert "--shard" in result.stderr and shard in result.stderr
    assert not (tmp_path / "out").exists()


# ---- 5. print file ---------------------------------------------------------------------------


@pytest.mark.slow
def test_combine_holds_every_document_in_school_order(tmp_path):
    schools = ["lakeside", "riverbend", "summit-ridge"]
    result = run_batch([*schools, "--jobs", "2", "--out", "out", "--combine", "print/all.pdf"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    combined = PdfReader(tmp_path / "print" / "all.pdf")
    order = [tmp_path / "out" / s / f"{GUIDE_ID}-{layout}.pdf" for s in schools for layout in LAYOUT_ORDER]
    readers = [PdfReader(p) for p in order]
    assert len(combined.pages) == sum(len(r.pages) for r in readers)
    expected_pages = [page.extract_text() for r in readers for page in r.pages]
    assert [page.extract_text() for page in combined.pages] == expected_pages
    assert_clean_output(tmp_path / "print")


# ---- 6. failure isolation --------------------------------------------------------------------


@pytest.mark.slow
def test_a_bad_school_is_reported_and_the_rest_are_built(tmp_path):
    ws = workspace(tmp_path)
    broken = ws / "content" / "schools" / "broken"
    broken.mkdir()
    (broken / "school.yaml").write_text('name: Broken College\ncolors:\n  primary: "#112233"\nlogo: logo.png\n',
                                        encoding="utf-8")
    (broken / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3)  # a PNG signature, then junk
    args = ["lakeside", "broken", "riverbend", "--jobs", "2", "--out", "out"]
    result = run_batch(args, cwd=ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert pdfs(ws / "out") == expected(["lakeside", "riverbend"])
    assert_clean_output(ws / "out")
    counts = summary_of(result.stderr)
    assert (counts["built"], counts["fresh"], counts["failed"]) == (4, 0, 1)
    assert "failed 1 school(s)" in result.stderr
    failures = result.stderr[result.stderr.index("failures:"):]
    assert "broken" in failures and "logo" in failures
    assert not any(rel.startswith("broken/") for rel in load_manifest(ws / "out"))

    # --quiet: the summary and the failures, nothing else; the good schools are now up to date.
    quiet = run_batch([*args, "--quiet"], cwd=ws)
    assert quiet.returncode == 1
    assert quiet.stdout == ""
    lines = quiet.stderr.splitlines()
    assert SUMMARY.match(lines[0]) and lines[1] == "failures:" and "broken" in lines[2]
    counts = summary_of(quiet.stderr)
    assert (counts["built"], counts["fresh"], counts["failed"]) == (0, 4, 1)


# ---- 7. interrupt safety ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_roster(tmp_path_factory) -> Path:
    """40 schools (80 documents): enough work to interrupt midway."""
    return write_roster(tmp_path_factory.mktemp("big") / "roster.csv", [roster_row(i) for i in range(40)])


BIG = expected([f"school-{i:02d}" for i in range(40)])


def start_big_batch(tmp_path: Path, roster: Path, out: Path):
    """The 40-school batch, started in its own process group, once its first PDF is written."""
    process = start_batch(["--roster", roster, "--jobs", "2", "--out", out], cwd=tmp_path, logs=tmp_path / "logs")
    if not wait_for(lambda: pdfs(out), 30):
        kill_group(process.pid)
        pytest.fail("no PDF appeared")
    return process


def complete_pdf_pages(path: Path) -> int:
    """The page count of a complete PDF: it starts with %PDF-, ends with %%EOF and parses strictly."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{path} is truncated"
    pages = len(PdfReader(path, strict=True).pages)
    assert pages >= 1, path
    return pages


def temporaries(out: Path) -> dict[str, Path]:
    """Temporary files under `out`, by the output they were to become (school/file.pdf): a
    writer's temporary is `.FILE.pdf.RANDOM.tmp` beside its PDF (write.write_atomic)."""
    found = {}
    for path in out.rglob("*"):
        if path.name.endswith(".tmp"):
            match = re.fullmatch(r"\.(.+\.pdf)\.[^.]+\.tmp", path.name)
            assert match, f"{path} is not a PDF writer's temporary file"
            found[(path.parent / match[1]).relative_to(out).as_posix()] = path
    return found


@pytest.mark.slow
def test_killed_run_leaves_no_partial_file_and_the_rerun_completes(tmp_path, big_roster):
    """SIGKILL to the batch and its workers. The design promises: no partial PDF under its final
    name (each is written to a temporary file and renamed), every PDF on disk has its manifest
    record, and the next run builds the rest and leaves a clean folder. A worker killed between
    creating its temporary file and the rename leaves that file behind: the next run removes it."""
    out = tmp_path / "out"
    process = start_big_batch(tmp_path, big_roster, out)
    # Let a few documents be recorded, then kill the batch and its workers outright.
    wait_for(lambda: len(pdfs(out)) >= 6, 5)
    assert process.poll() is None, "the batch finished before it could be killed"
    signal_group(process, signal.SIGKILL, 30)
    assert process.returncode == -signal.SIGKILL

    # Right after the kill: every PDF under its final name is complete.
    on_disk = pdfs(out)
    assert on_disk and on_disk < BIG
    pages_at_kill = {rel: complete_pdf_pages(out / rel) for rel in on_disk}
    # Temporaries only of writes that never reached the rename: at most one per worker.
    unfinished = temporaries(out)
    assert len(unfinished) <= 2 and not set(unfinished) & on_disk, sorted(unfinished)
    # What the run recorded: the saved manifest plus its journal of records since the last save.
    # Each worker records a PDF before renaming it into place, so every PDF on disk has its
    # record; a record without its PDF is one whose rename never happened (its temporary is there).
    from guidebuilder.batch.manifest import Manifest

    recorded = Manifest(out).entries
    assert on_disk <= set(recorded), sorted(on_disk - set(recorded))
    assert set(recorded) - on_disk <= set(unfinished), sorted(set(recorded) - on_disk)
    assert_manifest_matches_files(out, {rel: recorded[rel] for rel in on_disk})
    for rel in on_disk:
        stat = (out / rel).stat()
        assert (recorded[rel]["size"], recorded[rel]["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns), rel

    rerun = run_batch(["--roster", big_roster, "--jobs", "2", "--out", out], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    counts = summary_of(rerun.stderr)
    assert counts["fresh"] == len(on_disk), "every PDF the killed run finished is kept"
    assert counts["built"] == len(BIG) - len(on_disk)
    # A clean folder: the PDFs and the manifest, no temporary file, no journal.
    assert files_in(out) == BIG | {"manifest.json"}, sorted(files_in(out) - BIG)
    assert_clean_output(out)
    outputs = load_manifest(out)
    assert set(outputs) == BIG
    assert_manifest_matches_files(out, outputs)
    # The PDFs the kill left have the pages of every other school's (same guide, same layout).
    pages = {layout: {complete_pdf_pages(out / rel) for rel in BIG if rel.endswith(f"-{layout}.pdf")}
             for layout in LAYOUT_ORDER}
    assert all(len(found) == 1 for found in pages.values()), pages
    for rel, count in pages_at_kill.items():
        layout = next(layout for layout in LAYOUT_ORDER if rel.endswith(f"-{layout}.pdf"))
        assert pages[layout] == {count}, rel


def files_in(out: Path) -> set[str]:
    """Every file under `out` (hidden ones too), as relative paths."""
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, big_roster):
    """A batch stopped with Ctrl-C (SIGINT to its process group, as a terminal sends it)."""
    folder = tmp_path_factory.mktemp("interrupted")
    out = folder / "out"
    process = start_batch(["--roster", big_roster, "--jobs", "2", "--out", out], cwd=folder,
                          logs=folder / "logs")
    try:
        assert wait_for(lambda: pdfs(out), 30), "no PDF appeared"
        time.sleep(0.3)
        assert process.poll() is None, "the batch finished before it could be interrupted"
    except BaseException:
        kill_group(process.pid)
        raise
    signal_group(process, signal.SIGINT, 60)
    stderr = (folder / "logs" / "stderr").read_text(encoding="utf-8", errors="replace")
    return {"folder": folder, "out": out, "returncode": process.returncode, "stderr": stderr,
            "on_disk": pdfs(out)}


@pytest.mark.slow
def test_ctrl_c_exits_130_and_saves_the_manifest(interrupted):
    out = interrupted["out"]
    assert interrupted["returncode"] == 130, interrupted["stderr"]
    assert "interrupted" in interrupted["stderr"] and "Traceback" not in interrupted["stderr"]
    assert interrupted["on_disk"] and interrupted["on_disk"] < BIG
    assert_clean_output(out)
    recorded = load_manifest(out)
    assert recorded and set(recorded) <= interrupted["on_disk"]
    assert_manifest_matches_files(out, recorded)


@pytest.mark.slow
def test_rerun_after_ctrl_c_builds_only_what_is_missing(interrupted, big_roster, tmp_path):
    # On a copy (mtimes kept, so the manifest still matches): the interrupted run's folder stays
    # as it was for the other test, whichever runs first.
    out = tmp_path / "out"
    shutil.copytree(interrupted["out"], out)
    rerun = run_batch(["--roster", big_roster, "--jobs", "2", "--out", out], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert pdfs(out) == BIG
    counts = summary_of(rerun.stderr)
    # Every PDF present after the interrupt was complete (written atomically) from current inputs.
    assert counts["built"] == len(BIG) - len(interrupted["on_disk"])
    assert counts["fresh"] == len(interrupted["on_disk"])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc")
def test_workers_do_not_outlive_a_killed_batch(tmp_path, big_roster):
    out = tmp_path / "out"
    process = start_big_batch(tmp_path, big_roster, out)
    try:
        assert process.poll() is None
        os.kill(process.pid, signal.SIGKILL)  # the batch process only, as `kill -9 PID` would
        process.wait(timeout=30)
        gone = wait_for(lambda: not group_members(process.pid), 3, step=0.1)
        assert gone, f"worker processes still running after the batch was killed: {group_members(process.pid)}"
    finally:
        kill_group(process.pid)


# ---- 8. guides x layouts ---------------------------------------------------------------------


@pytest.mark.slow
def test_several_guides_and_layouts_multiply_out(tmp_path):
    copy = tmp_path / "medical-coder-2.yaml"
    text = (CONTENT / "medical-coder.yaml").read_text(encoding="utf-8")
    copy.write_text(re.sub(r"(?m)^id:.*$", "id: medical-coder-2", text, count=1), encoding="utf-8")
    assert "id: medical-coder-2" in copy.read_text(encoding="utf-8")
    result = run_batch(["lakeside", "riverbend", "--guide", CONTENT / "medical-coder.yaml", "--guide", copy,
                        "--layout", "handout", "--layout", "checklist", "--jobs", "2", "--out", tmp_path / "out"],
                       cwd=REPO)
    assert result.returncode == 0, result.stderr
    want = expected(["lakeside", "riverbend"], guides=(GUIDE_ID, "medical-coder-2"))
    assert len(want) == 8
    assert pdfs(tmp_path / "out") == want
    assert summary_of(result.stderr)["built"] == 8
    assert_clean_output(tmp_path / "out")
    # Same guide content under another id: the same pages.
    for layout in LAYOUT_ORDER:
        a = PdfReader(tmp_path / "out" / "lakeside" / f"{GUIDE_ID}-{layout}.pdf")
        b = PdfReader(tmp_path / "out" / "lakeside" / f"medical-coder-2-{layout}.pdf")
        assert pdf_text(a) == pdf_text(b)


# ---- 9. what it prints -----------------------------------------------------------------------


@pytest.mark.slow
def test_output_is_plain_lines_quiet_and_verbose(tmp_path):
    schools = ["lakeside", "riverbend"]
    written = sorted(str(Path("out") / rel) for rel in expected(schools))

    plain = run_batch([*schools, "--jobs", "2", "--out", "out"], cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    for stream in (plain.stdout, plain.stderr):
        assert "\r" not in stream and "\x1b" not in stream and "\b" not in stream
    assert sorted(line.split(None, 1)[1] for line in plain.stdout.splitlines()) == written
    assert all(line.startswith("wrote ") for line in plain.stdout.splitlines())
    err = plain.stderr.splitlines()
    # No content/ here: the built-in samples stand in, and the run says so first (issue 11).
    assert err[:2] == ["note: no content/schools/ in this folder; using the built-in sample schools",
                       'note: no guide files in content/ in this folder; using the built-in sample guide "medical-coder"']
    err = err[2:]
    assert err[0] == "4 document(s) to build, 0 up to date"
    assert SUMMARY.match(err[-1]) and len(err) == 2
    counts = summary_of(plain.stderr)
    assert (counts["built"], counts["fresh"], counts["failed"]) == (4, 0, 0)

    quiet = run_batch([*schools, "--jobs", "2", "--out", "out", "--force", "--quiet"], cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""
    assert len(quiet.stderr.splitlines()) == 1 and SUMMARY.match(quiet.stderr.strip())
    assert summary_of(quiet.stderr)["built"] == 4

    verbose = run_batch([*schools, "--jobs", "2", "--out", "out", "--force", "--verbose"], cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert "\r" not in verbose.stderr and "\x1b" not in verbose.stderr
    assert sorted(line.split(None, 1)[1] for line in verbose.stdout.splitlines()) == written

    fresh = run_batch([*schools, "--jobs", "2", "--out", "out", "--quiet"], cwd=tmp_path)
    assert fresh.stdout == "" and summary_of(fresh.stderr)["fresh"] == 4


# ---- the journal: what a worker wrote is recorded however the run stops -------------------------


def test_journal_records_from_workers_settle_into_the_manifest(tmp_path):
    from guidebuilder.batch.manifest import Manifest, entry, journal_record, stat_of

    (tmp_path / "a").mkdir()
    done, renamed_never = tmp_path / "a" / "done.pdf", "a/lost.pdf"
    done.write_bytes(b"%PDF-1.7 whole")
    journal_record(tmp_path, "a/done.pdf", entry("in-1", "pdf-1", *stat_of(done)))   # its result never arrived
    journal_record(tmp_path, renamed_never, entry("in-2", "pdf-2", 14, 1))            # killed before the rename
    journal_record(tmp_path, "a/failed.pdf", entry("in-3", "pdf-3", 1, 1))
    manifest = Manifest(tmp_path)
    manifest.forget("a/failed.pdf")                                                  # reported failed after all
    manifest.save()
    saved = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert list(saved) == ["a/done.pdf"]
    assert saved["a/done.pdf"]["inputs"] == "in-1"
    assert not (tmp_path / ".manifest.journal").exists()
    assert Manifest(tmp_path).up_to_date("a/done.pdf", "in-1")
    done.write_bytes(b"%PDF-1.7 changed by hand")
    assert not Manifest(tmp_path).up_to_date("a/done.pdf", "in-1")


@pytest.mark.slow
def test_a_file_the_layout_reads_is_an_input(tmp_path):
    """<image src> reads a file from the school's folder: changing it rebuilds that document."""
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "poster.xml.j2").write_text(
        '<document title="{{ school.name }}" fit="one-page">\n'
        '<title>{{ school.name }}</title>\n'
        '<image src="photo.png" alt="Students at the open day" width="3in" height="2in"/>\n'
        '</document>\n', encoding="utf-8")
    for slug, colour in (("north", "#0B4F6C"), ("south", "#7A1F3D")):
        folder = tmp_path / "content" / "schools" / slug
        folder.mkdir(parents=True)
        (folder / "school.yaml").write_text(f'name: {slug.title()} College\ncolors:\n  primary: "{colour}"\n',
                                            encoding="utf-8")
        Image.new("RGB", (60, 40), colour).save(folder / "photo.png")
    args = ["north", "south", "--layout", "poster", "--jobs", "1", "--out", tmp_path / "out"]
    assert summary_of(run_batch(args, tmp_path).stderr)["built"] == 2
    assert summary_of(run_batch(args, tmp_path).stderr)["fresh"] == 2
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert [Path(p).name for p in manifest[f"north/{GUIDE_ID}-poster.pdf"]["reads"]] == ["photo.png"]
    Image.new("RGB", (60, 40), "#F9A620").save(tmp_path / "content" / "schools" / "north" / "photo.png")
    before = mtimes(tmp_path / "out")
    counts = summary_of(run_batch(args, tmp_path).stderr)
    assert (counts["built"], counts["fresh"]) == (1, 1)
    after = mtimes(tmp_path / "out")
    assert after[f"north/{GUIDE_ID}-poster.pdf"] != before[f"north/{GUIDE_ID}-poster.pdf"]
    assert after[f"south/{GUIDE_ID}-poster.pdf"] == before[f"south/{GUIDE_ID}-poster.pdf"]


def test_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    """A writer locks its temporary file until the rename; a file nobody holds was left by a
    killed writer (on this machine or another, in any container) and goes."""
    from guidebuilder.batch.run import _abandoned, remove_stale_temporaries
    from guidebuilder.pdf.write import write_atomic

    folder = tmp_path / "school"
    folder.mkdir()
    live, dead = folder / ".medical-coder-handout.pdf.abc123.tmp", folder / ".medical-coder-checklist.pdf.def456.tmp"
    for temp in (live, dead):
        temp.write_bytes(b"%PDF-1.7 half")
    # The live writer is another process holding the lock, as a worker would.
    holder = subprocess.Popen([sys.executable, "-c", f"""
import fcntl, sys, time
handle = open({str(live)!r}, "ab")
fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        remove_stale_temporaries(tmp_path)
        assert sorted(p.name for p in folder.iterdir()) == [live.name]
    finally:
        holder.kill()
        holder.wait()
    remove_stale_temporaries(tmp_path)
    assert not list(folder.iterdir()), "once its writer is gone, it goes too"
    held = []
    write_atomic(folder / "written.pdf", b"%PDF-1.7 whole", before_rename=lambda temp: held.append(_abandoned(temp)))
    assert held == [False], "write_atomic holds its temporary file until the rename"


def test_a_manifest_temporary_of_a_killed_run_is_removed(tmp_path):
    """A run killed while it saved manifest.json leaves `.manifest.json.*.tmp` in the output
    folder; the next run's clean-up takes it too (not only the PDFs' temporaries)."""
    from guidebuilder.batch.run import remove_stale_temporaries

    (tmp_path / ".manifest.json.x1y2.tmp").write_bytes(b'{"version": 1, "outp')
    (tmp_path / "notes.tmp").write_bytes(b"the user's own file")
    remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp"]
