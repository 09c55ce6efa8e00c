"""Issue 11, images, SVG, fonts and colours: what an SVG logo links is hashed and checked like the
logo itself, artwork stays in its box, every read is of a regular file in its folder within the
limits, and errors blame the input that is wrong (the corpus, tests/bad_inputs/180-..., holds the
exact messages; these tests cover what needs more than one run or a look at the PDF)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from pdfhelpers import image_xobjects

SUMMARY = re.compile(r"built (\d+), up to date (\d+), failed (\d+)")
SCHOOL = 'name: Test School\ncolors:\n  primary: "#0B4F6C"\nlogo: {logo}\n'
SVG_LINKING = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" '
               'height="50" viewBox="0 0 200 50"><image xlink:href="{href}" width="200" height="50"/></svg>')
PIC_LAYOUT = ('<document title="Pictures">\n  <title>Pictures</title>\n  <image src="{src}" alt="a picture"/>\n'
              '</document>\n')


def run(args, cwd: Path, timeout: float = 120):
    """`python -m guidebuilder ARGS` in `cwd`, with a cache of its own (so the disk cache is in play)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache"), "COLUMNS": "200"}
    env.pop("GUIDEBUILDER_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "guidebuilder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def counts(result) -> tuple[int, int, int]:
    found = SUMMARY.findall(result.stderr)
    assert len(found) == 1, result.stderr
    return tuple(map(int, found[0]))


def school_with_linking_logo(root: Path, slug: str = "s1", colour: str = "red") -> Path:
    folder = root / "content" / "schools" / slug
    folder.mkdir(parents=True)
    (folder / "school.yaml").write_text(SCHOOL.format(logo="logo.svg"))
    (folder / "logo.svg").write_text(SVG_LINKING.format(href="picture.png"))
    Image.new("RGB", (40, 10), colour).save(folder / "picture.png")
    return folder


def later_mtime(path: Path) -> None:
    """Make sure a rewrite is seen as newer even on coarse file-time clocks."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


# ---- item 4: what an SVG links is an input ---------------------------------------------------


@pytest.mark.slow
def test_batch_rebuilds_when_the_png_an_svg_logo_links_is_recoloured(tmp_path):
    folder = school_with_linking_logo(tmp_path)
    args = ["batch", "s1", "--layout", "checklist", "--out", "out", "-j", "1"]
    first = run(args, tmp_path)
    assert first.returncode == 0, first.stderr
    assert counts(first) == (1, 0, 0)
    pdf = tmp_path / "out" / "s1" / "medical-coder-checklist.pdf"
    before = pdf.read_bytes()

    again = run(args, tmp_path)
    assert again.returncode == 0 and counts(again) == (0, 1, 0), again.stderr

    Image.new("RGB", (40, 10), "blue").save(folder / "picture.png")
    later_mtime(folder / "picture.png")
    rebuilt = run(args, tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert counts(rebuilt) == (1, 0, 0), "the recoloured PNG inside the logo left the PDF 'up to date'"
    assert pdf.read_bytes() != before


@pytest.mark.slow
def test_batch_rebuilds_when_a_file_an_image_svg_links_changes(tmp_path):
    folder = tmp_path / "content" / "schools" / "s1"
    folder.mkdir(parents=True)
    (folder / "school.yaml").write_text('name: Test School\ncolors:\n  primary: "#0B4F6C"\n')
    (folder / "art.svg").write_text(SVG_LINKING.format(href="picture.png"))
    Image.new("RGB", (40, 10), "red").save(folder / "picture.png")
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "pic.xml.j2").write_text(PIC_LAYOUT.format(src="art.svg"))
    args = ["batch", "s1", "--layout", "pic", "--out", "out", "-j", "1"]
    assert counts(run(args, tmp_path)) == (1, 0, 0)
    assert counts(run(args, tmp_path)) == (0, 1, 0)
    Image.new("RGB", (40, 10), "blue").save(folder / "picture.png")
    later_mtime(folder / "picture.png")
    assert counts(run(args, tmp_path)) == (1, 0, 0), "a file linked from an <image>'s SVG is not an input"


def _fills(drawing) -> list:
    found = []
    for node in getattr(drawing, "contents", []):
        if getattr(node, "fillColor", None) is not None:
            found.append(node.fillColor.hexval())
        found += _fills(node)
    return found


def test_the_disk_cache_never_serves_an_svg_whose_linked_svg_changed(tmp_path, monkeypatch):
    """A UTF-16 SVG hides its links from a byte search: the cache must still see them."""
    from guidebuilder.render import assets
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GUIDEBUILDER_NO_CACHE", raising=False)
    inner = tmp_path / "inner.svg"
    logo = tmp_path / "logo.svg"
    logo.write_text('<?xml version="1.0" encoding="UTF-16"?>' + SVG_LINKING.format(href="inner.svg"),
                    encoding="utf-16")

    def draw(fill: str) -> list:
        inner.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="5">'
                         f'<rect width="20" height="5" fill="{fill}"/></svg>')
        return _fills(assets._load_svg(logo).obj)

    assert "0xff0000" in draw("#FF0000")
    assert draw("#0000FF") == ["0x0000ff"], "the drawing came from the cache, with the old linked file"


# ---- item 5: artwork stays in its box; sizes that cannot be drawn ------------------------------


@pytest.mark.slow
def test_svg_artwork_beyond_its_viewbox_is_clipped_to_the_logo(tmp_path):
    import pypdfium2

    (tmp_path / "school.yaml").write_text(SCHOOL.format(logo="logo.svg"))
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50" viewBox="0 0 200 50">'
        '<rect x="-2000" y="-2000" width="5000" height="5000" fill="#FF0000"/>'
        '<rect width="200" height="50" fill="#00FF00"/></svg>')
    result = run(["build", "--school", "school.yaml", "--layout", "checklist", "--out", "out"], tmp_path)
    assert result.returncode == 0, result.stderr
    page = pypdfium2.PdfDocument(tmp_path / "out" / tmp_path.name / "medical-coder-checklist.pdf")[0]
    image = page.render(scale=0.5).to_pil().convert("RGB")
    green = [(x, y) for x in range(image.width) for y in range(image.height) if image.getpixel((x, y)) == (0, 255, 0)]
    assert len(green) > 500, "the logo itself is drawn"
    left, top = min(x for x, _ in green) - 2, min(y for _, y in green) - 2  # 2 px: the edge's anti-aliasing
    right, bottom = max(x for x, _ in green) + 2, max(y for _, y in green) + 2
    red_outside = [(x, y) for x in range(image.width) for y in range(image.height)
                   if image.getpixel((x, y)) == (255, 0, 0) and not (left <= x <= right and top <= y <= bottom)]
    assert not red_outside, f"artwork outside the SVG's viewBox painted over the page: {len(red_outside)} px"


def test_sample_svg_logos_are_not_clipped():
    """Clipping is only for artwork that leaves its box: the samples' PDFs keep their bytes."""
    from guidebuilder.load import locations
    from guidebuilder.render.assets import load_image
    from guidebuilder.pipeline import load_inputs
    from guidebuilder.render.stylesheet import stylesheet_at
    from guidebuilder.render.theme import make_theme

    for slug in ("lakeside", "summit-ridge"):
        inputs = load_inputs(None, slug)
        theme = make_theme(stylesheet_at(locations.stylesheet_path()), inputs.school, inputs.school_file)
        assert not load_image(inputs.school_file.parent / "logo.svg").overflows(theme.fonts), slug


# ---- items 7, 9, 10: no blocking reads, no loops, no network, the same limits everywhere ------


@pytest.mark.slow
def test_a_batch_with_a_school_whose_logo_links_a_fifo_finishes(tmp_path):
    for i in range(4):
        school_with_linking_logo(tmp_path, f"good{i}")
    bad = school_with_linking_logo(tmp_path, "piped")
    (bad / "picture.png").unlink()
    os.mkfifo(bad / "picture.png")
    started = time.monotonic()
    result = run(["batch", "good0", "good1", "good2", "good3", "piped", "--layout", "checklist", "--out", "out",
                  "-j", "2"], tmp_path, timeout=120)
    assert time.monotonic() - started < 120
    assert result.returncode == 1, result.stderr
    assert counts(result) == (4, 0, 1)
    assert ('content/schools/piped/school.yaml:4: logo: "logo.svg": links to "picture.png", which is not a '
            'regular file (a named pipe, a device or a folder)') in result.stderr


def test_read_regular_refuses_pipes_and_devices_without_blocking(tmp_path):
    from guidebuilder.render.assets import Refused, read_regular

    os.mkfifo(tmp_path / "pipe")
    for path in (tmp_path / "pipe", Path("/dev/zero"), tmp_path):
        with pytest.raises(Refused, match=r"^is not a regular file"):
            read_regular(path, 1000)
    (tmp_path / "big").write_bytes(b"x" * 1001)
    with pytest.raises(Refused, match=r"^image is 1,001 bytes, over the 1,000 byte limit$"):
        read_regular(tmp_path / "big", 1000, "image")
    (tmp_path / "small").write_bytes(b"x" * 1000)
    assert read_regular(tmp_path / "small", 1000) == b"x" * 1000


def test_resolve_inside_refuses_loops_and_ways_out(tmp_path):
    from guidebuilder.render.assets import Outside, Refused, resolve_inside

    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    os.symlink("..", tmp_path / "up")
    with pytest.raises(Refused, match="loop of symbolic links"):
        resolve_inside(tmp_path, "a")
    for way_out in ("../x.png", "up/x.png", "/etc/passwd"):
        with pytest.raises(Outside):
            resolve_inside(tmp_path, way_out)
    assert resolve_inside(tmp_path, "sub/../x.png") == tmp_path.resolve() / "x.png"


def test_linked_rasters_count_towards_one_pixel_budget(tmp_path):
    """Many pictures of just under the limit make one SVG as heavy as one picture over it."""
    from guidebuilder.render.assets import MAX_IMAGE_PIXELS, Refused, svg_links

    side = int((MAX_IMAGE_PIXELS * 0.6) ** 0.5)
    for name in ("a.png", "b.png"):
        Image.new("1", (side, side)).save(tmp_path / name, optimize=True)
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
        '<image href="a.png" width="100" height="50"/><image href="b.png" x="100" width="100" height="50"/></svg>')
    with pytest.raises(Refused, match=r'links to "b.png": the images it holds are \d+ megapixels together, '
                                      r'over the 40 megapixel limit'):
        svg_links(tmp_path / "logo.svg")


def test_hyperlinks_and_internal_references_in_an_svg_are_not_files(tmp_path):
    from guidebuilder.render.assets import svg_links

    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="50">'
        '<defs><rect id="r" width="10" height="10"/></defs><use xlink:href="#r"/>'
        '<a href="https://example.edu/"><text y="20">Visit</text></a></svg>')
    assert svg_links(tmp_path / "logo.svg") == []


# ---- items 11, 12: the right input blamed; colours that print; photos the right way up -------


def _font_with(tmp_path: Path, name: str, characters: str) -> Path:
    import importlib.util

    from fontTools import subset
    from fontTools.ttLib import TTFont

    spec = importlib.util.find_spec("font_source_sans_pro")
    source = Path(next(iter(spec.submodule_search_locations))) / "files" / "SourceSansPro-Regular.ttf"
    font = TTFont(source)
    subsetter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True))
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    font.save(tmp_path / name)
    return tmp_path / name


@pytest.mark.slow
def test_colour_codes_and_file_names_are_not_glyph_checked(tmp_path):
    """A font without "#" or "." still prints a school whose texts it covers."""
    _font_with(tmp_path, "Letters.ttf", " ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\u00b7\u2022")
    (tmp_path / "school.yaml").write_text('name: Test School\ncolors:\n  primary: "#0B4F6C"\n'
                                          'fonts:\n  regular: Letters.ttf\n')
    result = run(["check", "school.yaml"], tmp_path)
    assert "colors.primary" not in result.stderr and "fonts.regular" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def test_transparent_is_not_a_colour_but_names_and_codes_still_are():
    from pydantic_core import PydanticCustomError

    from guidebuilder.render.colours import parse_colour

    for word in ("transparent", "Transparent", " none ", "currentColor"):
        with pytest.raises(PydanticCustomError, match="prints no colour"):
            parse_colour(word)
    assert parse_colour("navy") == "#000080" and parse_colour("#0bf") == "#00BBFF"


@pytest.mark.slow
def test_an_exif_rotated_jpeg_logo_prints_upright(tmp_path):
    photo = Image.new("RGB", (200, 100), "red")
    exif = photo.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    photo.save(tmp_path / "logo.jpg", exif=exif.tobytes())
    (tmp_path / "school.yaml").write_text(SCHOOL.format(logo="logo.jpg"))
    result = run(["build", "--school", "school.yaml", "--layout", "checklist", "--out", "out"], tmp_path)
    assert result.returncode == 0, result.stderr
    page = PdfReader(tmp_path / "out" / tmp_path.name / "medical-coder-checklist.pdf").pages[0]
    [(width, height)] = [(int(x["/Width"]), int(x["/Height"])) for _, x in image_xobjects(page)]
    assert height == 2 * width, f"printed {width}x{height}: the photo is on its side"


# ---- fuzzing: SVG sizes and links --------------------------------------------------------------

SIZES = st.sampled_from(["200", "0", "-5", "1e-9", "1e30", "inf", "nan", "50%", "3cm", "", "abc", "0.5", "99999"])
HREFS = st.sampled_from(["picture.png", "../picture.png", "http://example.com/p.png", "data:image/png;base64,AAAA",
                         "data:image/gif;base64,R0lGODlh", "#r", "/etc/passwd", "missing.png", "logo.svg",
                         "inner.svg", "inner.svg#r", "pipe.png", "loop.png", "folder"])


@pytest.fixture(scope="module")
def svg_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-svg")
    Image.new("RGB", (40, 10), "red").save(folder / "picture.png")
    (folder / "inner.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="5">'
                                      '<rect id="r" width="20" height="5"/></svg>')
    os.mkfifo(folder / "pipe.png")
    os.symlink("loop.png", folder / "loop.png")
    (folder / "folder").mkdir()
    return folder


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=SIZES, height=SIZES, view_box=st.sampled_from([None, "0 0 200 50", "0 0 0 0", "0 0 -1 5", "1 2 3"]),
       hrefs=st.lists(HREFS, max_size=3))
def test_any_svg_size_and_links_load_or_give_a_build_error(svg_folder, width, height, view_box, hrefs):
    """Whatever the size attributes and links: a drawable logo inside its limits, or a
    BuildError; never another exception, a read of the pipe, or a drawing too small or huge."""
    from guidebuilder.render import assets
    from guidebuilder.errors import BuildError

    attributes = "".join(f' {name}="{value}"' for name, value in (("width", width), ("height", height),
                                                                    ("viewBox", view_box)) if value is not None)
    images = "".join(f'<image xlink:href="{href}" width="20" height="5"/>' for href in hrefs)
    logo = svg_folder / "logo.svg"
    logo.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
                    f'{attributes}><rect width="10" height="10"/>{images}</svg>')
    assets._load.cache_clear()
    assets._svg_links.cache_clear()
    try:
        image = assets.load_image(logo)
    except BuildError as exc:
        assert str(exc).startswith(f"{logo.resolve()}: "), exc
        return
    assert assets.MIN_SVG_SIDE <= min(image.width, image.height)
    assert max(image.width, image.height) <= assets.MAX_SVG_SIDE
    assert not {"pipe.png", "loop.png", "folder", "../picture.png", "http://example.com/p.png",
                "missing.png", "/etc/passwd"} & set(hrefs), "a bad link was accepted"
