"""Bad input: exit code 2, and messages that name the file, the line and the key path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from pdfhelpers import GUIDE_FILE, LAYOUTS_DIR, cli_runner, guide_data, write_guide

GOOD_SCHOOL = 'name: Test College\ncolors:\n  primary: "#123456"\n'
PROBLEM_LINE = re.compile(r"^error: (?P<file>[^:\s]+):(?P<line>\d+): (?P<key>[\w.\[\]]+): (?P<message>.+)$")


def invoke(args):
    from guidebuilder.cli import main

    return cli_runner().invoke(main, args, catch_exceptions=True)


def assert_input_error(result):
    """Exit 2 from the CLI's own error handling: no crash, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.strip(), "no message on stderr"


def run_module(args, cwd):
    return subprocess.run([sys.executable, "-m", "guidebuilder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def pdfs_under(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def school(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "school.yaml").write_text(text, encoding="utf-8")
    return folder / "school.yaml"


# ---- school files ----------------------------------------------------------------------------


def test_misspelt_colour_key_as_a_process(tmp_path):
    school(tmp_path / "broken", 'name: Broken College\ncolors:\n  primery: "#123"\n')
    result = run_module(["check", os.path.join("broken", "school.yaml")], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "school.yaml" in result.stderr
    assert ":3:" in result.stderr
    assert "colors.primery" in result.stderr
    assert 'did you mean "primary"' in result.stderr


def test_misspelt_colour_key_message_format(in_tmp):
    school(in_tmp / "broken", 'name: Broken College\ncolors:\n  primery: "#123"\n')
    result = invoke(["check", "broken/school.yaml"])
    assert_input_error(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # Every problem is reported: the misspelt key, and the required key it leaves missing.
    assert any("colors.primary: required key is missing" in line for line in lines), lines
    match = next((PROBLEM_LINE.match(line) for line in lines if "colors.primery" in line), None)
    assert match, lines
    assert match["file"] == os.path.join("broken", "school.yaml")
    assert match["line"] == "3"
    assert match["key"] == "colors.primery"
    assert 'did you mean "primary"' in match["message"]


def test_input_error_str_is_file_line_key_message(tmp_path):
    from guidebuilder.errors import InputError
    from guidebuilder.load import load_school

    path = school(tmp_path / "s", 'name: S\ncolors:\n  primary: "#123"\n  acent: "#456"\n')
    with pytest.raises(InputError) as info:
        load_school(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 1
    match = re.match(r"^(?P<file>.+?):(?P<line>\d+): (?P<key>[\w.\[\]]+): (?P<message>.+)$", lines[0])
    assert match, lines[0]
    assert match["file"].endswith("school.yaml")
    assert (match["line"], match["key"]) == ("4", "colors.acent")
    assert 'did you mean "accent"' in match["message"]
    assert info.value.exit_code == 2


@pytest.mark.parametrize("text,line,key,words", [
    ('name: S\ncolors:\n  primary: reed\n', 3, "colors.primary", ["reed", 'did you mean "red"']),
    ('name: S\ncolors:\n  primary: "#12345"\n', 3, "colors.primary", ["#12345"]),
    ('name: S\ncolors:\n  primary: red\ncontact:\n  website: "javascript:alert(1)"\n', 5, "contact.website",
     ["https://"]),
    ('name: S\ncolors:\n  primary: red\npage_size: legal\n', 4, "page_size", ["legal"]),
    ('colors:\n  primary: red\n', None, "name", ["required"]),
    ('name: S\ncolours:\n  primary: red\n', 2, "colours", ['did you mean "colors"']),
])
def test_bad_school_values(in_tmp, text, line, key, words):
    school(in_tmp / "s", text)
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "school.yaml" in result.stderr
    assert f"{key}:" in result.stderr
    if line is not None:
        assert f"school.yaml:{line}: {key}" in result.stderr
    for word in words:
        assert word in result.stderr


def test_tab_indentation(in_tmp):
    school(in_tmp / "s", "name: S\ncolors:\n\tprimary: red\n")
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "school.yaml:3:" in result.stderr
    assert "tab" in result.stderr.lower()


def test_duplicate_key(in_tmp):
    school(in_tmp / "s", 'name: S\ncolors:\n  primary: red\nname: T\n')
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "school.yaml:4: name:" in result.stderr
    assert "duplicate key" in result.stderr
    assert "line 1" in result.stderr


def test_logo_outside_the_school_folder(in_tmp):
    (in_tmp / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    school(in_tmp / "s", GOOD_SCHOOL + "logo: ../x.png\n")
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "school.yaml:4: logo:" in result.stderr
    assert "outside" in result.stderr


def test_logo_symlink_leaving_the_school_folder(in_tmp):
    (in_tmp / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    school(in_tmp / "s", GOOD_SCHOOL + "logo: logo.png\n")
    try:
        os.symlink(in_tmp / "x.png", in_tmp / "s" / "logo.png")
    except OSError:
        pytest.skip("symbolic links are not available here")
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "outside" in result.stderr


def test_missing_logo_file(in_tmp):
    school(in_tmp / "s", GOOD_SCHOOL + "logo: nope.png\n")
    result = invoke(["check", "s/school.yaml"])
    assert_input_error(result)
    assert "school.yaml:4: logo:" in result.stderr and "nope.png" in result.stderr


def test_unknown_school_slug_suggests_one(in_tmp):
    result = invoke(["build", "--school", "lakesid", "--out", "out"])
    assert_input_error(result)
    assert 'did you mean "lakeside"' in result.stderr
    assert pdfs_under(in_tmp / "out") == []


def test_unknown_layout_suggests_one(in_tmp):
    result = invoke(["build", "--layout", "handot", "--out", "out"])
    assert_input_error(result)
    assert 'did you mean "handout"' in result.stderr
    assert pdfs_under(in_tmp / "out") == []


# ---- guide files ------------------------------------------------------------------------------


def _check_guide(folder, data=None, text=None):
    path = folder / "guide.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    else:
        write_guide(path, data)
    return invoke(["check", "guide.yaml"])


def test_the_real_guide_checks_clean(in_tmp):
    shutil.copy(GUIDE_FILE, in_tmp / "guide.yaml")
    result = invoke(["check", "guide.yaml"])
    assert result.exit_code == 0, result.output


def test_guide_without_title(in_tmp):
    data = guide_data()
    del data["title"]
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert "guide.yaml:" in result.stderr
    assert re.search(r"guide\.yaml:\d+: title: required", result.stderr), result.stderr


@pytest.mark.parametrize("key", ["summary", "sections", "checklist"])
def test_guide_without_other_required_keys(in_tmp, key):
    data = guide_data()
    del data[key]
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert f": {key}: required" in result.stderr


def test_key_fact_source_not_in_sources(in_tmp):
    data = guide_data()
    data["key_facts"][0]["source"] = "bls-oh"
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert re.search(r"guide\.yaml:\d+: key_facts\[0\]\.source: ", result.stderr), result.stderr
    assert "bls-oh" in result.stderr
    assert 'did you mean "bls-ooh"' in result.stderr


def test_unknown_block_type(in_tmp):
    data = guide_data()
    data["sections"][1]["body"][1] = {"bulets": ["one", "two"]}
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert "sections[1].body[1]" in result.stderr
    assert 'did you mean "bullets"' in result.stderr


def test_unknown_guide_key(in_tmp):
    data = guide_data()
    data["summery"] = data.pop("summary")
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert "summery" in result.stderr and 'did you mean "summary"' in result.stderr


def test_guide_duplicate_key(in_tmp):
    text = GUIDE_FILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines.insert(at + 1, "title: A second title")
    result = _check_guide(in_tmp, text="\n".join(lines) + "\n")
    assert_input_error(result)
    assert f"guide.yaml:{at + 2}: title:" in result.stderr
    assert "duplicate key" in result.stderr


def test_guide_tab_indentation(in_tmp):
    text = GUIDE_FILE.read_text(encoding="utf-8")
    bad = text.replace("\n  - value: \"$50,250\"", "\n\t- value: \"$50,250\"", 1)
    assert bad != text
    result = _check_guide(in_tmp, text=bad)
    assert_input_error(result)
    assert "tab" in result.stderr.lower()


def test_every_problem_is_reported_not_just_the_first(in_tmp):
    data = guide_data()
    data["key_facts"][0]["source"] = "nope-one"
    data["key_facts"][1]["source"] = "nope-two"
    result = _check_guide(in_tmp, data)
    assert_input_error(result)
    assert "key_facts[0].source" in result.stderr and "key_facts[1].source" in result.stderr


# ---- build with bad input writes nothing -------------------------------------------------------


def test_build_with_broken_school_writes_nothing(in_tmp):
    school(in_tmp / "broken", 'name: Broken College\ncolors:\n  primery: "#123"\n')
    (in_tmp / "out").mkdir()
    result = invoke(["build", "--school", "broken", "--out", "out"])
    assert_input_error(result)
    assert "colors.primery" in result.stderr
    assert pdfs_under(in_tmp / "out") == []


def test_build_with_broken_guide_writes_nothing(in_tmp):
    data = guide_data()
    del data["title"]
    write_guide(in_tmp / "guide.yaml", data)
    result = invoke(["build", "--guide", "guide.yaml", "--out", "out"])
    assert_input_error(result)
    assert "title" in result.stderr
    assert pdfs_under(in_tmp / "out") == []


# ---- layouts ----------------------------------------------------------------------------------


@pytest.fixture
def layouts(in_tmp):
    """A ./layouts folder (a copy of the real one) that the tool reads before its own."""
    folder = in_tmp / "layouts"
    shutil.copytree(LAYOUTS_DIR, folder)

    def add(name, text):
        (folder / name).write_text(text, encoding="utf-8")
        return folder / name

    return add


BROKEN = '<document title="{{ guide.title }}">\n  <p>fine</p>\n  <p>{{ nope }}</p>\n</document>\n'


def test_layout_with_undefined_variable(in_tmp, layouts):
    layouts("broken.xml.j2", BROKEN)
    result = invoke(["build", "--layout", "broken", "--out", "out"])
    assert_input_error(result)
    assert "broken.xml.j2:3:" in result.stderr
    assert "nope" in result.stderr
    assert pdfs_under(in_tmp / "out") == []


def test_check_layout_with_undefined_variable(in_tmp, layouts):
    layouts("broken.xml.j2", BROKEN)
    result = invoke(["check", os.path.join("layouts", "broken.xml.j2")])
    assert_input_error(result)
    assert "broken.xml.j2:3:" in result.stderr and "nope" in result.stderr


def test_layout_copy_in_working_folder_is_used(in_tmp, layouts):
    """The working folder's layouts/ wins over the built-in one (the tests above rely on it)."""
    layouts("handout.xml.j2", BROKEN)
    result = invoke(["build", "--layout", "handout", "--out", "out"])
    assert_input_error(result)
    assert "handout.xml.j2:3:" in result.stderr


def test_layout_with_unknown_element(in_tmp, layouts):
    layouts("bulets.xml.j2", '<document title="x">\n  <bulets><item>a</item></bulets>\n</document>\n')
    result = invoke(["build", "--layout", "bulets", "--out", "out"])
    assert_input_error(result)
    assert "bulets.xml.j2" in result.stderr
    assert "unknown element <bulets>" in result.stderr
    assert "did you mean" in result.stderr
    assert pdfs_under(in_tmp / "out") == []


def test_layout_unknown_element_suggests_the_close_one(in_tmp, layouts):
    layouts("typo.xml.j2", '<document title="x">\n  <lsit><item>a</item></lsit>\n</document>\n')
    result = invoke(["build", "--layout", "typo", "--out", "out"])
    assert_input_error(result)
    assert "unknown element <lsit>" in result.stderr
    assert 'did you mean "list"' in result.stderr


def _edited_handout(old: str, new: str) -> tuple[str, int]:
    """The real handout template with one line changed, and that line's number."""
    text = (LAYOUTS_DIR / "handout.xml.j2").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    [index] = [i for i, line in enumerate(lines) if old in line]
    lines[index] = lines[index].replace(old, new)
    return "".join(lines), index + 1


@pytest.mark.parametrize("old, new, message", [
    # after a loop over the key facts, {% if %} lines trimmed from the output and a multi-line tag
    ('<heading level="2">Your path, step by step</heading>', "<heding>Your path, step by step</heding>",
     'unknown element <heding>, did you mean "heading"?'),
    # inside a loop over sections, whose blocks come from macros
    ('      <heading level="2">{{ section.heading|md }}</heading>', '      <heading level="7">{{ section.heading|md }}</heading>',
     '<heading level="7">'),
    # an element left open: the XML parser notices it on a later line
    ('<heading level="2">Useful websites</heading>', '<heading level="2">Useful websites',
     "the layout produced invalid markup"),
])
def test_markup_errors_name_the_template_line(in_tmp, layouts, old, new, message):
    text, line = _edited_handout(old, new)
    layouts("handout.xml.j2", text)
    result = invoke(["build", "--layout", "handout", "--out", "out"])
    assert_input_error(result)
    where = re.search(r"handout\.xml\.j2:(\d+): ", result.stderr)
    assert where, result.stderr
    assert message in result.stderr
    if "invalid markup" in message:  # reported where the parser gives up: at or after the open tag
        assert int(where.group(1)) >= line, result.stderr
    else:
        assert int(where.group(1)) == line, result.stderr


def test_markup_error_in_a_macro_names_the_line_that_calls_it(in_tmp, layouts):
    macros = (LAYOUTS_DIR / "_macros.xml.j2").read_text(encoding="utf-8")
    assert "<qr " in macros
    layouts("_macros.xml.j2", macros.replace("<qr ", "<qrr "))
    _, call_line = _edited_handout("{{ m.school_panel(", "{{ m.school_panel(")
    result = invoke(["build", "--layout", "handout", "--out", "out"])
    assert_input_error(result)
    assert f"handout.xml.j2:{call_line}: unknown element <qrr>" in result.stderr, result.stderr


def test_layout_sandbox_blocks_python_internals(tmp_path):
    shutil.copytree(LAYOUTS_DIR, tmp_path / "layouts")
    (tmp_path / "layouts" / "evil.xml.j2").write_text(
        '<document title="x">\n  <p>{{ \'\'.__class__.__mro__ }}</p>\n</document>\n', encoding="utf-8")
    result = run_module(["build", "--layout", "evil", "--out", "out"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "evil.xml.j2:2:" in result.stderr
    assert "<class 'object'>" not in result.stderr + result.stdout
    assert pdfs_under(tmp_path / "out") == []



@pytest.mark.parametrize("expression", ["range(10**7)|list|length", "1 / 0"])
def test_layout_runtime_error_is_an_input_error(in_tmp, layouts, expression):
    layouts("runtime.xml.j2", '<document title="x">\n  <p>{{ %s }}</p>\n</document>\n' % expression)
    result = invoke(["build", "--layout", "runtime", "--out", "out"])
    assert result.exit_code == 2, (result.exit_code, repr(result.exception))
    assert isinstance(result.exception, SystemExit)
    assert "runtime.xml.j2:2:" in result.stderr
