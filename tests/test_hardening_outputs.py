"""Issue 11 (hardening, round 2): which schools a run uses, what it may write, and how it stops.

1. Built-in schools and guides are samples: used only when the working folder has none of its
   own, never mixed with hers, and said so in a note.
2. Nothing a run writes replaces a file it reads, nor a file guidebuilder did not write.
3. A folder named school.yaml, an undecodable school name, a half-written new school.
4. --combine streams (memory does not grow with the number of documents); -j is capped.
5. SIGTERM stops a batch like Ctrl-C; a rerun after a killed run settles the manifest; a school
   whose school.yaml is a symbolic link loop is reported.

Batch runs reuse the helpers of test_batch.py (real processes in a working folder in tmp_path).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfhelpers import CONTENT, cli_runner, pdf_text
from test_batch import (assert_clean_output, assert_manifest_matches_files, load_manifest, pdfs, roster_row,
                        run_batch, signal_group, start_batch, summary_of, wait_for, write_roster)

SAMPLE_SCHOOLS_NOTE = "note: no content/schools/ in this folder; using the built-in sample schools"
SAMPLE_GUIDE_NOTE = 'note: no guide files in content/ in this folder; using the built-in sample guide "medical-coder"'


# ---- helpers -------------------------------------------------------------------------------------


def run_cli(args, cwd: Path, timeout: float = 120):
    return subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def her_folder(tmp_path: Path, *slugs: str) -> Path:
    """A working folder whose only schools are `slugs` (no guides, no layouts of its own)."""
    folder = tmp_path / "her"
    for slug in slugs:
        school = folder / "content" / "schools" / slug
        school.mkdir(parents=True)
        (school / "school.yaml").write_text(f'name: {slug.title()} College\ncolors:\n  primary: "#0B4F6C"\n',
                                            encoding="utf-8")
    folder.mkdir(exist_ok=True)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- 1. samples are samples ----------------------------------------------------------------------


def test_her_batch_and_print_file_hold_only_her_school(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    listed = run_cli(["schools"], folder)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:2] for line in lines(listed.stdout)] == [["myschool", "ok"]]
    assert listed.stderr == ""  # her own schools: nothing to note

    result = run_batch(["--layout", "checklist", "--jobs", "2", "--combine", "print/all.pdf"], cwd=folder)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr)[0] == SAMPLE_GUIDE_NOTE  # she has no guide: the built-in one, said so
    assert pdfs(folder / "output") == {"myschool/medical-coder-checklist.pdf"}
    combined = PdfReader(folder / "print" / "all.pdf")
    assert len(combined.pages) == 1
    text = pdf_text(combined)
    assert "Myschool College" in text
    for sample in ("Lakeside", "Riverbend", "Summit Ridge"):
        assert sample not in text


def test_without_content_schools_the_samples_are_used_and_said_so(tmp_path):
    result = run_cli(["schools"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr) == [SAMPLE_SCHOOLS_NOTE]
    assert [line.split()[0] for line in lines(result.stdout)] == ["default", "lakeside", "riverbend", "summit-ridge"]


def test_an_empty_content_schools_folder_means_no_schools_not_the_samples(tmp_path):
    (tmp_path / "content" / "schools").mkdir(parents=True)
    result = run_cli(["schools"], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "no schools found in content/schools/\n", "")


@pytest.mark.slow
def test_build_without_school_uses_her_only_school_and_says_which(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    result = run_cli(["build", "--layout", "checklist"], folder)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr) == ['note: no --school given; using "myschool", the only school in content/schools/',
                                    SAMPLE_GUIDE_NOTE]
    assert result.stdout == "wrote output/myschool/medical-coder-checklist.pdf\n"


def test_build_without_school_among_several_lists_hers(tmp_path):
    folder = her_folder(tmp_path, "north", "south")
    before = snapshot(folder)
    result = run_cli(["build", "--layout", "checklist"], folder)
    assert result.returncode == 2
    assert lines(result.stderr) == ['error: content/schools/: has no school "default" and several others; choose one '
                                    'with --school (schools in content/schools/: north, south)']
    assert snapshot(folder) == before


def test_a_sample_school_named_in_her_folder_is_not_found(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    result = run_cli(["build", "--school", "lakeside"], folder)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: lakeside: no such school file, folder or slug "
                                    "(schools in content/schools/: myschool)"]
    assert not (folder / "output").exists()


@pytest.mark.slow
def test_check_with_no_paths_checks_her_schools_only(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    result = run_cli(["check"], folder)
    assert result.returncode == 0, result.stderr
    checked = [line.split()[1] for line in lines(result.stdout) if line.startswith("ok")]
    schools = [path for path in checked if "schools" in path]
    assert schools == ["content/schools/myschool/school.yaml"]
    assert lines(result.stderr) == [SAMPLE_GUIDE_NOTE]


@pytest.mark.slow
def test_her_own_guide_replaces_the_sample_guide(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    guide = (CONTENT / "medical-coder.yaml").read_text(encoding="utf-8")
    (folder / "content" / "pilot.yaml").write_text(guide.replace("id: medical-coder\n", ""), encoding="utf-8")
    result = run_cli(["build", "--layout", "checklist", "--guide", "medical-coder"], folder)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: medical-coder: no such guide file or guide id in content/ "
                                    "(guides in content/: pilot)"]
    built = run_cli(["build", "--layout", "checklist"], folder)
    assert built.returncode == 0, built.stderr
    assert lines(built.stderr) == ['note: no --school given; using "myschool", the only school in content/schools/',
                                   'note: no --guide given; using "pilot", the only guide in content/']
    assert built.stdout == "wrote output/myschool/pilot-checklist.pdf\n"


# ---- 2. nothing written replaces an input or someone else's file ---------------------------------


@pytest.fixture
def roster_folder(tmp_path) -> Path:
    write_roster(tmp_path / "r.csv", [roster_row(1)])
    return tmp_path


def test_combine_onto_the_roster_is_refused_before_anything_is_written(roster_folder):
    before = snapshot(roster_folder)
    result = run_batch(["--roster", "r.csv", "--combine", "r.csv", "--layout", "checklist", "--jobs", "1"],
                       cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr) == [SAMPLE_GUIDE_NOTE,
                                    "error: --combine r.csv: is the roster this run reads; choose another file name"]
    assert snapshot(roster_folder) == before  # the roster unchanged, no output folder, no manifest


def test_combine_onto_the_guide_is_refused(roster_folder):
    (roster_folder / "g.yaml").write_bytes((CONTENT / "medical-coder.yaml").read_bytes())
    before = snapshot(roster_folder)
    result = run_batch(["--roster", "r.csv", "--guide", "g.yaml", "--combine", "g.yaml", "--layout", "checklist"],
                       cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: --combine g.yaml: is a guide this run reads; choose another file name"]
    assert snapshot(roster_folder) == before


@pytest.mark.slow
def test_combine_onto_a_logo_or_a_school_file_is_refused(tmp_path):
    folder = her_folder(tmp_path, "myschool")
    school = folder / "content" / "schools" / "myschool"
    (school / "school.yaml").write_text('name: Myschool College\nlogo: logo.png\ncolors:\n  primary: "#0B4F6C"\n',
                                        encoding="utf-8")
    from test_batch import write_png

    write_png(school / "logo.png")
    before = snapshot(folder)
    for target, role in [("content/schools/myschool/logo.png", "a school's logo this run reads"),
                         ("content/schools/myschool/school.yaml", "a school file this run reads")]:
        result = run_batch(["--combine", target, "--layout", "checklist"], cwd=folder)
        assert result.returncode == 2
        assert lines(result.stderr)[-1] == f"error: --combine {target}: is {role}; choose another file name"
    assert snapshot(folder) == before


def test_combine_onto_a_file_guidebuilder_did_not_write_is_refused(roster_folder):
    (roster_folder / "notes.pdf").write_bytes(b"%PDF-1.4\nmy own notes\n%%EOF\n")
    before = snapshot(roster_folder)
    result = run_batch(["--roster", "r.csv", "--combine", "notes.pdf", "--layout", "checklist"], cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == ("error: --combine notes.pdf: exists and was not written by guidebuilder; "
                                        "choose another file name, or move the file away")
    assert snapshot(roster_folder) == before


@pytest.mark.slow
def test_combine_onto_one_of_its_documents_is_refused(roster_folder):
    args = ["--roster", "r.csv", "--layout", "checklist", "--jobs", "1"]
    assert run_batch(args, cwd=roster_folder).returncode == 0
    before = snapshot(roster_folder)
    result = run_batch([*args, "--combine", "output/school-01/medical-coder-checklist.pdf"], cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == ("error: --combine output/school-01/medical-coder-checklist.pdf: is one of the "
                                        "documents this print file is made of; choose another file name")
    assert snapshot(roster_folder) == before


@pytest.mark.slow
def test_its_own_print_file_is_replaced_on_a_rerun(roster_folder):
    args = ["--roster", "r.csv", "--layout", "checklist", "--jobs", "1", "--combine", "all.pdf"]
    assert run_batch(args, cwd=roster_folder).returncode == 0
    metadata = PdfReader(roster_folder / "all.pdf").metadata
    assert metadata["/Creator"].startswith("guidebuilder ")
    again = run_batch([*args, "--force"], cwd=roster_folder)
    assert again.returncode == 0, again.stderr
    assert "wrote  all.pdf (all documents, for printing)" in again.stdout


@pytest.mark.slow
def test_batch_does_not_replace_a_pdf_it_did_not_write(roster_folder):
    mine = roster_folder / "output" / "school-01" / "medical-coder-checklist.pdf"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"%PDF-1.4\nhand made\n%%EOF\n")
    before = snapshot(roster_folder)
    result = run_batch(["--roster", "r.csv", "--layout", "checklist"], cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == ("error: output/school-01/medical-coder-checklist.pdf: exists and was not "
                                        "written by guidebuilder; choose another --out, or move the file away")
    assert snapshot(roster_folder) == before  # no manifest either


def test_batch_does_not_replace_a_manifest_json_it_did_not_write(roster_folder):
    web = roster_folder / "site"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "My web app", "icons": []}\n', encoding="utf-8")
    before = snapshot(roster_folder)
    result = run_batch(["--roster", "r.csv", "--layout", "checklist", "--out", "site"], cwd=roster_folder)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == ("error: site/manifest.json: exists and was not written by guidebuilder; "
                                        "choose another --out, or move the file away")
    assert snapshot(roster_folder) == before


@pytest.mark.slow
def test_build_does_not_replace_a_pdf_it_did_not_write_and_replaces_its_own(tmp_path):
    mine = tmp_path / "output" / "default" / "medical-coder-checklist.pdf"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own checklist")
    result = run_cli(["build", "--layout", "checklist"], tmp_path)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: output/default/medical-coder-checklist.pdf: exists and was not written "
                                    "by guidebuilder; choose another --out, or move the file away"]
    assert mine.read_bytes() == b"my own checklist"
    mine.unlink()
    for _ in range(2):  # its own PDF is replaced
        again = run_cli(["build", "--layout", "checklist"], tmp_path)
        assert again.returncode == 0, again.stderr


# ---- 3. school folders and new schools -----------------------------------------------------------


@pytest.mark.parametrize("command", [["build", "--school", "school.yaml", "--layout", "checklist"],
                                     ["check", "school.yaml"]])
def test_a_folder_named_school_yaml_is_named_as_a_folder(tmp_path, command):
    (tmp_path / "school.yaml").mkdir()
    result = run_cli(command, tmp_path)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == ("error: school.yaml: is a folder, not a school file; give a school's folder "
                                        "(holding its school.yaml), its school.yaml file or its slug")
    assert "school.yaml/school.yaml" not in result.stderr


def test_new_school_with_bytes_that_are_not_utf8_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "guidebuilder", "new-school", b"Bad\xffName"], cwd=tmp_path,
                            capture_output=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        'error: new-school: NAME: holds bytes that are not UTF-8 text ("Bad\\xffName"); type the name again '
        '(as UTF-8 text)']
    assert not (tmp_path / "content").exists()


def test_new_school_refuses_a_line_break_in_the_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from guidebuilder.cli import main

    result = cli_runner().invoke(main, ["new-school", "Lakeside\nlogo: /etc/passwd"])
    assert result.exit_code == 2
    assert result.stderr == ("error: new-school: NAME: holds a control character (such as a line break or a tab); "
                             "type the name again (as UTF-8 text)\n")
    assert not (tmp_path / "content").exists()


def test_a_new_school_that_fails_to_write_leaves_nothing_and_the_retry_works(tmp_path, monkeypatch):
    import errno

    from guidebuilder.pdf import write
    from guidebuilder.cli import main

    monkeypatch.chdir(tmp_path)
    real_fdopen = write.os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    failed = cli_runner().invoke(main, ["new-school", "Harbor College"])
    assert failed.exit_code == 2
    assert failed.stderr == "error: content/schools/harbor-college: cannot write here (No space left on device)\n"
    folder = tmp_path / "content" / "schools" / "harbor-college"
    assert not [p.name for p in folder.iterdir()]  # no 0-byte school.yaml, no temporary file
    monkeypatch.setattr(write.os, "fdopen", real_fdopen)
    retry = cli_runner().invoke(main, ["new-school", "Harbor College"])
    assert retry.exit_code == 0, retry.stderr
    assert (folder / "school.yaml").read_text(encoding="utf-8").count("name: \"Harbor College\"") == 1


def test_new_school_does_not_write_through_a_dangling_link(tmp_path, monkeypatch):
    folder = tmp_path / "content" / "schools" / "harbor-college"
    folder.mkdir(parents=True)
    os.symlink(tmp_path / "elsewhere.yaml", folder / "school.yaml")
    monkeypatch.chdir(tmp_path)
    from guidebuilder.cli import main

    result = cli_runner().invoke(main, ["new-school", "Harbor College"])
    assert result.exit_code == 2
    assert result.stderr == ("error: content/schools/harbor-college/school.yaml: already exists; edit it, or choose "
                             "another name\n")
    assert not (tmp_path / "elsewhere.yaml").exists()


# ---- 4. limits: the print file streams, the workers are capped --------------------------------------


def _peak_combining(source: Path, count: int, target: Path) -> int:
    import tracemalloc

    from guidebuilder.pdf.printfile import combine_pdfs

    tracemalloc.start()
    try:
        combine_pdfs([source] * count, target)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_the_print_file_is_streamed_memory_does_not_grow_with_the_documents(tmp_path):
    from pdfhelpers import REPO

    assert run_cli(["build", "--school", "lakeside", "--layout", "checklist", "--out", str(tmp_path / "one")],
                   REPO).returncode == 0
    source = tmp_path / "one" / "lakeside" / "medical-coder-checklist.pdf"
    few = _peak_combining(source, 3, tmp_path / "few.pdf")
    many = _peak_combining(source, 24, tmp_path / "many.pdf")
    # Eight times the documents: the peak grows only by the offsets kept for the cross-reference
    # table (a merger that holds every document grows about eightfold).
    assert many < few * 1.5, (few, many)
    reader = PdfReader(tmp_path / "many.pdf")
    assert len(reader.pages) == 24
    assert reader.metadata["/Creator"].startswith("guidebuilder ")
    single = PdfReader(source)
    assert len(reader.trailer["/Root"]["/AcroForm"]["/Fields"]) == 24 * len(single.trailer["/Root"]["/AcroForm"]["/Fields"])
    assert reader.pages[23].extract_text() == single.pages[0].extract_text()
    import pikepdf

    with pikepdf.open(tmp_path / "many.pdf") as pdf:
        assert pdf.check_pdf_syntax() == []


def test_workers_are_capped_by_the_schools_to_build_and_the_cpus():
    from guidebuilder.batch.run import MAX_WORKERS_PER_CPU, default_workers, worker_count

    cpus = default_workers()
    assert worker_count(200, 16) == min(16, cpus * MAX_WORKERS_PER_CPU)
    assert worker_count(200, 1000) == cpus * MAX_WORKERS_PER_CPU
    assert worker_count(0, 3) == min(3, cpus)
    assert worker_count(8, 0) == 1
    from guidebuilder.cli import main

    help_text = " ".join(cli_runner().invoke(main, ["batch", "--help"]).stdout.split())
    assert "never more than the schools to build, nor more than two per CPU" in help_text


# ---- 5. stopping ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigterm_stops_a_batch_like_ctrl_c_with_exit_143_and_a_manifest(tmp_path):
    roster = write_roster(tmp_path / "roster.csv", [roster_row(i) for i in range(30)])
    out = tmp_path / "out"
    process = start_batch(["--roster", roster, "--jobs", "2", "--out", out], cwd=tmp_path, logs=tmp_path / "logs")
    try:
        assert wait_for(lambda: pdfs(out), 30), "no PDF appeared"
        assert process.poll() is None, "the batch finished before it could be stopped"
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    signal_group(process, signal.SIGTERM, 60)
    stderr = (tmp_path / "logs" / "stderr").read_text(encoding="utf-8")
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert lines(stderr)[-1] == "terminated: finished files and the manifest are saved; rerun to build the rest"
    assert_clean_output(out)
    recorded = load_manifest(out)
    assert recorded and set(recorded) <= pdfs(out)
    assert_manifest_matches_files(out, recorded)


@pytest.mark.slow
def test_a_rerun_with_nothing_to_build_settles_a_killed_runs_manifest(roster_folder):
    args = ["--roster", "r.csv", "--layout", "checklist", "--jobs", "1"]
    assert run_batch(args, cwd=roster_folder).returncode == 0
    out = roster_folder / "output"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # As a killed run leaves it: the record only in the journal, the manifest file without it.
    record = manifest["outputs"].pop("school-01/medical-coder-checklist.pdf")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / ".manifest.journal").write_text(json.dumps(["school-01/medical-coder-checklist.pdf", record]) + "\n",
                                           encoding="utf-8")
    rerun = run_batch(args, cwd=roster_folder)
    assert rerun.returncode == 0, rerun.stderr
    counts = summary_of(rerun.stderr)
    assert (counts["built"], counts["fresh"]) == (0, 1)
    assert load_manifest(out) == {"school-01/medical-coder-checklist.pdf": record}
    assert not (out / ".manifest.journal").exists()


@pytest.mark.slow
def test_a_school_whose_school_yaml_is_a_link_loop_is_reported(tmp_path):
    folder = her_folder(tmp_path, "good")
    loop = folder / "content" / "schools" / "loop"
    loop.mkdir()
    os.symlink("school.yaml", loop / "school.yaml")
    result = run_batch(["--layout", "checklist", "--jobs", "1"], cwd=folder)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "  loop: content/schools/loop/school.yaml: cannot be read (Too many levels of symbolic links)" in \
        lines(result.stderr)
    assert pdfs(folder / "output") == {"good/medical-coder-checklist.pdf"}
    listed = run_cli(["schools"], folder)
    assert listed.returncode == 0
    assert lines(listed.stdout)[1] == ("loop                     invalid  1 problem(s), first: "
                                       "content/schools/loop/school.yaml: cannot be read (Too many levels of "
                                       "symbolic links)")
