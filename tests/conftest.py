"""Session fixtures: each (school, layout, page size) PDF is built once and shared, and the
tests' own cache folder (never the user's ~/.cache/guidebuilder)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfhelpers import GUIDE_FILE, REPO, pdf_text, school_file, working_dir


@dataclass
class Built:
    school: str
    layout: str
    size: str
    path: Path
    data: bytes = field(repr=False)

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(self.path)

    @cached_property
    def text(self) -> str:
        return pdf_text(self.reader)

    @property
    def pages(self):
        return self.reader.pages


_CACHE: dict = {}  # the session's cache folder, and the XDG_CACHE_HOME it replaced


def pytest_configure(config):
    """XDG_CACHE_HOME -> a fresh folder of this session, for the test process and every
    subprocess it starts (they inherit os.environ): tests never read or write the user's real
    ~/.cache/guidebuilder, nor a cache left by an earlier session. Set here, before collection,
    because some test modules load schools (and so fonts, through the disk cache) while
    collecting: a fixture would come too late for those."""
    _CACHE["before"] = os.environ.get("XDG_CACHE_HOME")
    _CACHE["folder"] = Path(tempfile.mkdtemp(prefix="guidebuilder-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = str(_CACHE["folder"])


def pytest_unconfigure(config):
    folder = _CACHE.pop("folder", None)
    if folder is None:
        return
    before = _CACHE.pop("before")
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def isolated_cache() -> Path:
    """The session's cache folder (see pytest_configure); autouse, so every test starts with
    XDG_CACHE_HOME pointing there, whatever a collected module did to os.environ."""
    os.environ["XDG_CACHE_HOME"] = str(_CACHE["folder"])
    return _CACHE["folder"]


@pytest.fixture(scope="session")
def guide():
    """The real guide, loaded with the real loader."""
    from guidebuilder.load import load_guide

    return load_guide(GUIDE_FILE)


@pytest.fixture(scope="session")
def inputs_for():
    """inputs_for(slug) -> pipeline Inputs for the real guide and that school (cached)."""
    from guidebuilder.pipeline import load_inputs

    cache = {}

    def get(slug: str):
        if slug not in cache:
            with working_dir(REPO):
                cache[slug] = load_inputs(str(GUIDE_FILE), str(school_file(slug)))
        return cache[slug]

    return get


@pytest.fixture(scope="session")
def built(tmp_path_factory, inputs_for):
    """built(school, layout, size) -> Built; each combination is built once per session."""
    from guidebuilder.pipeline import build_pdf

    folder = tmp_path_factory.mktemp("pdfs")
    cache: dict = {}

    def get(school: str, layout: str, size: str) -> Built:
        key = (school, layout, size)
        if key not in cache:
            with working_dir(REPO):
                data = build_pdf(inputs_for(school), layout, size)
            path = folder / f"{school}-{layout}-{size}.pdf"
            path.write_bytes(data)
            cache[key] = Built(school, layout, size, path, data)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def build_guide(tmp_path_factory):
    """build_guide(data, layout, school="default", size=None) -> (Built, guide file): builds a
    modified copy of the guide (plain data) written to a temporary file."""
    from guidebuilder.pipeline import build_pdf, load_inputs

    from pdfhelpers import write_guide

    folder = tmp_path_factory.mktemp("guides")
    counter = iter(range(10_000))

    def get(data: dict, layout: str, school: str = "default", size: str | None = None, name: str | None = None):
        n = next(counter)
        guide_path = write_guide(folder / (name or f"guide-{n}.yaml"), data)
        with working_dir(REPO):
            inputs = load_inputs(str(guide_path), str(school_file(school)))
            pdf = build_pdf(inputs, layout, size)
        path = folder / f"guide-{n}-{layout}.pdf"
        path.write_bytes(pdf)
        return Built(school, layout, size or inputs.school.page_size, path, pdf)

    return get
