"""The one-page checklist: it shrinks to fit, fails clearly when it cannot, and never half-writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfhelpers import cli_runner, contains_text, guide_data, write_guide


def invoke(args):
    from guidebuilder.cli import main

    return cli_runner().invoke(main, args, catch_exceptions=True)


def checklist_guide(folder, items: int, name="long-guide.yaml"):
    """The real guide with a checklist of `items` items (with details) in four groups."""
    data = guide_data()
    groups = []
    for g in range(4):
        count = items // 4 + (1 if g < items % 4 else 0)
        groups.append({"heading": f"Stage {g + 1}", "items": [
            {"text": f"Checklist item {g + 1}.{i + 1} with a few words",
             "detail": f"A detail line for item {g + 1}.{i + 1} that explains a little more."}
            for i in range(count)]})
    data["checklist"]["groups"] = groups
    return write_guide(folder / name, data), groups


def all_files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())



@pytest.mark.parametrize("items", [34, 60])
def test_too_long_checklist_names_the_guide(tmp_path, monkeypatch, items):
    monkeypatch.chdir(tmp_path)
    checklist_guide(tmp_path, items)
    result = invoke(["build", "--guide", "long-guide.yaml", "--layout", "checklist", "--out", "out"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "long-guide.yaml" in result.stderr
    assert "does not fit on one page" in result.stderr
    assert "0x" not in result.stderr  # no Python object addresses


@pytest.mark.parametrize("items", [34, 60])
def test_too_long_checklist_exits_1_without_traceback(tmp_path, monkeypatch, items):
    monkeypatch.chdir(tmp_path)
    checklist_guide(tmp_path, items)
    result = invoke(["build", "--guide", "long-guide.yaml", "--layout", "checklist", "--out", "out"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")


def _sizes_of(page, words):
    sizes = []

    def visit(text, cm, tm, font, size):
        if words in text:
            sizes.append(size * (tm[3] if tm[3] else 1) * (cm[3] if cm[3] else 1))

    page.extract_text(visitor_text=visit)
    return sizes


def test_longer_checklist_shrinks_onto_one_page(tmp_path, monkeypatch, built):
    monkeypatch.chdir(tmp_path)
    _, groups = checklist_guide(tmp_path, 24)
    result = invoke(["build", "--guide", "long-guide.yaml", "--layout", "checklist", "--out", "out"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(tmp_path / "out" / "default" / "medical-coder-checklist.pdf")
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for group in groups:
        for item in group["items"]:
            assert contains_text(text, item["text"]) and contains_text(text, item["detail"])
    # It fits by setting the type smaller than the normal checklist does, but not below 8 pt.
    normal = built("default", "checklist", "letter").pages[0]
    normal_size = max(_sizes_of(normal, guide_data()["checklist"]["groups"][0]["items"][0]["text"]))
    shrunk = _sizes_of(reader.pages[0], "Checklist item 1.1 with")
    assert shrunk, "item text not found"
    assert 8.0 <= max(shrunk) < normal_size


def test_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    """The handout builds fine, the checklist cannot: neither file (nor a temp file) is written."""
    monkeypatch.chdir(tmp_path)
    checklist_guide(tmp_path, 60)
    out = tmp_path / "out"
    (out / "default").mkdir(parents=True)
    result = invoke(["build", "--guide", "long-guide.yaml", "--layout", "handout", "--layout", "checklist",
                     "--out", "out"])
    assert result.exit_code == 1
    assert all_files(out) == []


def test_failed_build_keeps_the_previous_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out" / "default"
    checklist_guide(tmp_path, 8, name="short-guide.yaml")  # an earlier, good build of the same guide id
    assert invoke(["build", "--guide", "short-guide.yaml", "--layout", "handout", "--out", "out"]).exit_code == 0
    previous = (out / "medical-coder-handout.pdf").read_bytes()
    checklist_guide(tmp_path, 60)
    (tmp_path / "short-guide.yaml").unlink()
    result = invoke(["build", "--guide", "long-guide.yaml", "--layout", "handout", "--layout", "checklist",
                     "--out", "out"])
    assert result.exit_code == 1
    assert (out / "medical-coder-handout.pdf").read_bytes() == previous
    assert all_files(tmp_path / "out") == [Path("default") / "medical-coder-handout.pdf"]


def test_write_atomic_cleans_up_when_the_rename_fails(tmp_path, monkeypatch):
    from guidebuilder.pdf import write
    from guidebuilder.errors import BuildError

    target = tmp_path / "out" / "doc.pdf"
    target.parent.mkdir()
    target.write_bytes(b"previous")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "replace", broken_replace)
    with pytest.raises(BuildError):
        write.write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in target.parent.iterdir()] == ["doc.pdf"]


def test_write_atomic_writes_the_bytes(tmp_path):
    from guidebuilder.pdf.write import write_atomic

    target = tmp_path / "a" / "b" / "doc.pdf"
    write_atomic(target, b"%PDF-1.4 test")
    assert target.read_bytes() == b"%PDF-1.4 test"
    assert [p.name for p in target.parent.iterdir()] == ["doc.pdf"]
