"""Caches, memory and count limits (issue 11, items 8 and deliver 6).

Every cache entry (diskcache.cached: fonts, SVG logos, QR codes; and the Jinja bytecode cache)
carries the versions that made it and a checksum of its content; an entry that does not verify is
computed again and replaced, and any cache failure (read, write, full disk) only means no caching:
exit 0 and a PDF byte-identical to a build without the cache. Builds that read a damaged cache run
in a subprocess: a damaged marshal entry once crashed Python (segmentation fault, rc 139).
"""

from __future__ import annotations

import errno
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pdfhelpers import REPO

SCHOOL = "summit-ridge"      # an SVG logo and its own fonts: every kind of cache entry
LAYOUT = "brochure"          # with a QR code
KINDS = ("jinja", "ttf", "svg", "qr")
PDF = Path(SCHOOL) / f"medical-coder-{LAYOUT}.pdf"


# ---- building in a subprocess -------------------------------------------------------------------


def run_build(out: Path, cache: Path | None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("GUIDEBUILDER_NO_CACHE", None)
    if cache is None:
        env["GUIDEBUILDER_NO_CACHE"] = "1"
    else:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run([sys.executable, "-m", "guidebuilder", "build", "--school", SCHOOL, "--layout", LAYOUT,
                           "--out", str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """The brochure built without any cache."""
    out = tmp_path_factory.mktemp("nocache")
    result = run_build(out, None)
    assert result.returncode == 0, result.stderr
    return (out / PDF).read_bytes()


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory, reference) -> dict[str, bytes]:
    """A cache folder's entries after one build ({path relative to the cache: bytes})."""
    cache = tmp_path_factory.mktemp("filled")
    out = tmp_path_factory.mktemp("filled-out")
    result = run_build(out, cache)
    assert result.returncode == 0, result.stderr
    assert (out / PDF).read_bytes() == reference, "building into an empty cache changed the PDF"
    entries = {p.relative_to(cache).as_posix(): p.read_bytes() for p in cache.rglob("*") if p.is_file()}
    for kind in KINDS:
        assert any(name.split("/")[1].startswith(kind) for name in entries), (kind, sorted(entries))
    return entries


def header_length(data: bytes) -> int:
    return data.index(b"\n") + 1


def verifies(entry: Path) -> bool:
    """A well-formed entry made by these versions, for the kind its header names."""
    from guidebuilder.diskcache import read_entry

    data = entry.read_bytes()
    kind = data[:header_length(data)].decode("utf-8", "replace").rsplit("; ", 1)[-1].strip()
    return read_entry(entry, kind) is not None


# Each damages an entry in one class of byte position, or replaces it.
def flip(position):
    def damage(data: bytes) -> bytes:
        at = position(data)
        return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]
    return damage


DAMAGES = {
    "header-bit": flip(lambda d: header_length(d) // 2),                      # a version number, say
    "checksum-bit": flip(lambda d: header_length(d) + 5),
    "payload-first-bit": flip(lambda d: header_length(d) + 32),
    "payload-middle-bit": flip(lambda d: (header_length(d) + 32 + len(d)) // 2),  # still unpickles, often
    "payload-last-bit": flip(lambda d: len(d) - 1),
    "truncated": lambda d: d[: len(d) * 2 // 3],
    "truncated-in-header": lambda d: d[:10],
    "empty": lambda d: b"",
    "pickle-of-None": lambda d: pickle.dumps(None),
    "header-and-None": lambda d: d[:header_length(d) + 32] + pickle.dumps(None),
    "garbage": lambda d: bytes(range(256)) * 4,
}
QUICK = {"payload-middle-bit", "pickle-of-None"}  # the rest of the matrix is marked slow


@pytest.mark.parametrize("damage", [pytest.param(name, marks=[] if name in QUICK else [pytest.mark.slow])
                                    for name in DAMAGES])
def test_a_damaged_cache_builds_the_same_pdf(tmp_path, reference, filled_cache, damage):
    """Every entry of every kind damaged the same way: exit 0, the no-cache PDF, entries replaced."""
    cache = tmp_path / "cache"
    for name, data in filled_cache.items():
        path = cache / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(DAMAGES[damage](data))
    result = run_build(tmp_path / "out", cache)
    assert result.returncode == 0, f"rc {result.returncode}\n{result.stderr}"  # -11: a segfault
    assert result.stderr == "", result.stderr
    assert (tmp_path / "out" / PDF).read_bytes() == reference
    for name in filled_cache:  # computed again and replaced by a good entry (pickles can differ)
        assert verifies(cache / name), f"{name} was not replaced"


@pytest.mark.slow
def test_single_bit_flips_all_along_the_template_cache_entry_are_caught(tmp_path, filled_cache):
    """The Jinja entry handed marshal data to Python unchecked: every bit of a byte in seven, all
    along the entry, is caught by the checksum (building once per flip would take hours)."""
    from guidebuilder.diskcache import read_entry

    name = next(n for n in filled_cache if n.split("/")[1].startswith("jinja"))
    data = filled_cache[name]
    kind = data[:header_length(data)].decode().rsplit("; ", 1)[-1].strip()
    damaged = tmp_path / "entry"
    damaged.write_bytes(data)
    assert read_entry(damaged, kind) is not None  # the kind is right: a good entry verifies
    for at in range(0, len(data), 7):
        for bit in range(8):
            damaged.write_bytes(data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1:])
            assert read_entry(damaged, kind) is None, (at, bit)


# ---- the entry format, in process ----------------------------------------------------------------


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def only_entry(cache_home: Path) -> Path:
    entries = [p for p in cache_home.rglob("*") if p.is_file()]
    assert len(entries) == 1, entries
    return entries[0]


def test_an_entry_names_the_versions_that_made_it_and_verifies(cache_home):
    import platform

    from guidebuilder import __version__
    from guidebuilder.diskcache import cached

    assert cached("test-lib1.2", b"key", lambda: {"value": 1}) == {"value": 1}
    data = only_entry(cache_home).read_bytes()
    header = data[:header_length(data)].decode()
    assert header == (f"guidebuilder cache entry; guidebuilder {__version__}; {platform.python_implementation()} "
                      f"{platform.python_version()}; test-lib1.2\n")
    assert cached("test-lib1.2", b"key", lambda: pytest.fail("not read from the cache")) == {"value": 1}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_entry_is_computed_again_and_replaced(cache_home, damage):
    from guidebuilder.diskcache import cached

    cached("test-lib1.2", b"key", lambda: ["the", "value", 12345])
    entry = only_entry(cache_home)
    good = entry.read_bytes()
    entry.write_bytes(DAMAGES[damage](good))
    calls = []
    value = cached("test-lib1.2", b"key", lambda: calls.append(1) or ["the", "value", 12345])
    assert value == ["the", "value", 12345] and calls == [1]
    assert entry.read_bytes() == good


def test_an_entry_of_other_versions_is_not_used(cache_home, monkeypatch):
    import guidebuilder.diskcache as diskcache

    diskcache.cached("test-lib1.2", b"key", lambda: "old")
    monkeypatch.setattr(diskcache, "__version__", "99.0")  # same folder, another header
    assert diskcache.cached("test-lib1.2", b"key", lambda: "new") == "new"


def test_an_entry_that_is_a_folder_or_a_fifo_means_no_caching(cache_home):
    from guidebuilder.diskcache import cached

    cached("test-lib1.2", b"key", lambda: "value")
    entry = only_entry(cache_home)
    entry.unlink()
    entry.mkdir()
    assert cached("test-lib1.2", b"key", lambda: "computed") == "computed"
    entry.rmdir()
    os.mkfifo(entry)  # must not hang: refused unread (the alarm fails the test if it does)
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("reading a FIFO entry hangs"))
    signal.alarm(10)
    try:
        assert cached("test-lib1.2", b"key", lambda: "computed") == "computed"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_a_result_that_does_not_pickle_is_returned_uncached(cache_home):
    from guidebuilder.diskcache import cached

    value = cached("test-lib1.2", b"key", lambda: (lambda: 1))
    assert value() == 1
    assert not [p for p in cache_home.rglob("*") if p.is_file()]


def test_an_error_of_the_computation_is_not_swallowed(cache_home):
    from guidebuilder.diskcache import cached
    from guidebuilder.errors import InputError, Problem

    with pytest.raises(InputError):
        cached("test-lib1.2", b"key", lambda: (_ for _ in ()).throw(InputError([Problem("x", 1, "", "bad")])))


# ---- a full disk ------------------------------------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch):
    """Every new cache file is /dev/full: each write fails with ENOSPC, as on a full disk."""
    import tempfile

    made = []

    def mkstemp(dir=None, prefix=None, **kwargs):
        made.append(1)
        return os.open("/dev/full", os.O_WRONLY), os.path.join(dir, f"{prefix}full")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(OSError) as caught:
        with open("/dev/full", "wb") as out:
            out.write(b"x")
    assert caught.value.errno == errno.ENOSPC
    return made


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_cache_disk_means_no_caching_not_a_failed_build(cache_home, full_disk, reference):
    """It failed every brochure (Jinja's dump_bytecode); now: the same PDF, nothing cached."""
    from guidebuilder.template import jinja as template
    from guidebuilder.pipeline import build_pdf, load_inputs
    from pdfhelpers import school_file, working_dir

    template.environment.cache_clear()  # a bytecode cache in the new cache folder
    try:
        with working_dir(REPO):
            pdf = build_pdf(load_inputs(None, str(school_file(SCHOOL))), LAYOUT)
    finally:
        template.environment.cache_clear()
    assert full_disk, "no cache entry was even tried"
    assert pdf == reference
    assert not [p for p in cache_home.rglob("*") if p.is_file()]


def can_mount_tmpfs() -> bool:
    import shutil

    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


FULL_TMPFS = """mount -t tmpfs -o size=256k tmpfs "$CACHE" && mkdir "$CACHE/guidebuilder" &&
head -c 1000000 /dev/zero > "$CACHE/fill" 2>/dev/null
exec "$PYTHON" -m guidebuilder build --school "$SCHOOL" --layout "$LAYOUT" --out "$OUT"
"""


@pytest.mark.slow
def test_a_really_full_cache_disk_builds_the_same_pdf(tmp_path, reference):
    """A 256 kB tmpfs, filled up, in a mount namespace of the build's own: real ENOSPC."""
    if not sys.platform.startswith("linux") or not can_mount_tmpfs():
        pytest.skip("needs a private mount namespace (unshare -rm) for a tiny tmpfs")
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "CACHE": str(cache), "PYTHON": sys.executable, "SCHOOL": SCHOOL, "LAYOUT": LAYOUT,
           "OUT": str(tmp_path / "out"), "XDG_CACHE_HOME": str(cache)}
    env.pop("GUIDEBUILDER_NO_CACHE", None)
    result = subprocess.run(["unshare", "-rm", "sh", "-c", FULL_TMPFS], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # was: internal error: OSError: [Errno 28] No space left
    assert result.stderr == ""
    assert (tmp_path / "out" / PDF).read_bytes() == reference


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_loses_no_entry_and_leaves_no_temporary(cache_home, full_disk):
    from guidebuilder.diskcache import cached

    assert cached("test-lib1.2", b"key", lambda: "value") == "value"
    assert cached("test-lib1.2", b"key", lambda: "again") == "again"
    assert not [p for p in cache_home.rglob("*") if p.is_file()]


def test_a_bytecode_entry_that_does_not_verify_is_compiled_again(cache_home, tmp_path):
    """In process, through Jinja: a damaged entry is never given to marshal."""
    from guidebuilder.template import jinja as template
    layout = tmp_path / "layouts"
    layout.mkdir()
    (layout / "t.xml.j2").write_text("<p>{{ 6 * 7 }}</p>\n", encoding="utf-8")
    template.environment.cache_clear()
    try:
        assert template.render_markup(layout / "t.xml.j2", (layout,)) == "<p>42</p>\n"
        entry = only_entry(cache_home)
        good = entry.read_bytes()
        for damage in DAMAGES.values():
            template.environment.cache_clear()  # Jinja's in-memory cache: read the file again
            entry.write_bytes(damage(good))
            assert template.render_markup(layout / "t.xml.j2", (layout,)) == "<p>42</p>\n"
            assert entry.read_bytes() == good
    finally:
        template.environment.cache_clear()


# ---- memory -------------------------------------------------------------------------------------------

HOG = """
import sys
import guidebuilder.check
import guidebuilder.pipeline
from guidebuilder.cli import main

HELD = []

def hog(*args, **kwargs):
    '''Takes every byte it can and keeps it all: nothing is freed when MemoryError comes.'''
    if not {hold}:
        raise MemoryError  # an allocation too big for what is left: the rest is still free
    size = 1 << 20
    while True:
        try:
            HELD.append(bytearray(size))
        except MemoryError:
            if size <= 64:
                raise
            size //= 2

guidebuilder.{target} = hog
sys.argv = ["guidebuilder", *{args!r}]
main()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS")
@pytest.mark.parametrize("target, args, hold", [
    ("pipeline.load_inputs", ["build"], True),
    ("check.guide_notes", ["check", str(REPO / "content" / "medical-coder.yaml")], True),
    ("check.guide_notes", ["check", str(REPO / "content" / "medical-coder.yaml")], False),  # was "internal error"
])
def test_out_of_memory_is_one_line_even_with_not_a_byte_left(tmp_path, target, args, hold):
    """The report itself ran out of memory (a traceback from click's secho); `check` said "internal error"."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 ** 2, 600 * 1024 ** 2))

    env = {**os.environ, "GUIDEBUILDER_NO_CACHE": "1"}
    result = subprocess.run([sys.executable, "-c", HOG.format(target=target, args=args, hold=hold)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr == ("error: ran out of memory; build fewer or smaller documents at a time "
                             "(fewer --jobs, smaller logos)\n")


# ---- count limits ------------------------------------------------------------------------------------


def test_the_real_guide_is_far_below_every_count_limit():
    """The limits are about 100 times the biggest real file: a real guide never meets them."""
    import yaml

    from guidebuilder.load import yamlsource
    text = (REPO / "content" / "medical-coder.yaml").read_text(encoding="utf-8")
    events = sum(1 for _ in yaml.parse(text))
    data = yaml.safe_load(text)
    values, longest = 0, 0
    stack = [data]
    while stack:
        value = stack.pop()
        values += 1
        children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        if isinstance(value, list):
            longest = max(longest, len(value))
        stack.extend(children)
    assert events * 50 < yamlsource.MAX_EVENTS < events * 200
    assert values * 50 < yamlsource.MAX_NODES < values * 200
    assert longest * 50 < yamlsource.MAX_LIST_ITEMS < longest * 200


@pytest.mark.parametrize("text, line, message", [
    ("items: [" + ", ".join(["x"] * 1001) + "]\n", 1, "a list holds more than 1,000 items; no guide or school "
                                                      "needs that many"),
    ("a: &a [" + ", ".join(["x"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 31) + "]\n", 1,  # where the repeated values are
     "the file holds more than 30,000 values once its aliases (*name) are expanded; write the values out instead"),
    ("".join(f"k{i}: {i}\n" for i in range(25_001)), 24_999,
     "the file holds more than 50,000 keys and values; split it or shorten it"),
])
def test_count_limits_name_the_file_and_line(text, line, message):
    from guidebuilder.errors import InputError
    from guidebuilder.load.yamlsource import parse_yaml

    with pytest.raises(InputError) as caught:
        parse_yaml(text, Path("big.yaml"))
    assert str(caught.value) == f"big.yaml:{line}: {message}"


def test_a_list_at_the_item_limit_loads():
    from guidebuilder.load.yamlsource import parse_yaml

    assert len(parse_yaml("items: [" + ", ".join(["x"] * 1000) + "]\n", Path("ok.yaml")).data["items"]) == 1000
