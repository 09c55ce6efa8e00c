"""Images and QR codes, decoded once per process and reused by every document.

Every file read here is a regular file inside its folder, read within a size limit, and every
raster (a logo, a layout's <image>, a file an SVG links, a data: image inside an SVG) is held to
the same pixel limit: a named pipe would block a worker for ever, a 13000 x 13000 PNG would be
1.7 GB in memory and in the PDF.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import BuildError

MAX_IMAGE_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 40_000_000
MAX_SVG_FILES = 20        # files an SVG pulls in, through every level of links
MAX_SVG_IMAGES = 100      # image references (files and data: images) in an SVG and the SVGs it links
MIN_SVG_SIDE = 0.75       # points (1 px): a smaller drawing is scaled up thousands of times to fit its box
MAX_SVG_SIDE = 75_000.0   # points (100,000 px)
MAX_SVG_ASPECT = 100      # long side over short side: beyond it a logo is a hairline


PRINT_DPI = 300


@dataclass
class LoadedImage:
    """A raster (a PIL image) or a vector drawing (svglib), with its natural size in pixels/points."""

    kind: str          # "raster" or "vector"
    obj: object
    width: float
    height: float
    _readers: dict = field(default_factory=dict)

    def drawing_for(self, family):
        """The SVG drawing with its text set in `family`: svglib maps SVG fonts to the 14
        standard PDF fonts, which are never embedded."""
        if family not in self._readers:
            import copy

            drawing = copy.deepcopy(self.obj)
            _set_fonts(drawing, family)
            self._readers[family] = drawing
        return self._readers[family]

    def overflows(self, family) -> bool:
        """Whether the drawing (its text set in `family`) reaches outside its own box, the SVG's
        viewport: a browser clips it there, and so must we, or it paints over the page."""
        key = ("overflows", family)
        if key not in self._readers:
            try:
                bounds = self.drawing_for(family).getBounds()
            except Exception:  # shapes ReportLab cannot measure: clip to be safe
                bounds = (-math.inf, -math.inf, math.inf, math.inf)
            slack = 0.01  # points: rounding, not artwork
            self._readers[key] = bool(bounds) and (bounds[0] < -slack or bounds[1] < -slack
                                                   or bounds[2] > self.width + slack or bounds[3] > self.height + slack)
        return self._readers[key]

    def reader_for(self, width_pt: float, height_pt: float):
        """An ImageReader no larger than needed to print this size at 300 dpi: embedding (and
        compressing) a 4000-pixel logo into every PDF is what makes batch builds slow."""
        from reportlab.lib.utils import ImageReader

        scale = min(1.0, width_pt / 72 * PRINT_DPI / self.width, height_pt / 72 * PRINT_DPI / self.height)
        size = (max(1, round(self.width * scale)), max(1, round(self.height * scale)))
        if size not in self._readers:
            image = self.obj if scale == 1.0 else self.obj.resize(size, resample=3)  # 3: bicubic
            self._readers[size] = ImageReader(image)
        return self._readers[size]


class Refused(Exception):
    """Why a file (or what it links) cannot be used, worded without its own name: the caller
    names it as the user typed it."""


class Outside(Refused):
    """The path leaves the folder it must stay in."""


def resolve_inside(folder: Path, relative: str, base: Path | None = None) -> Path:
    """`relative` (from `base`, default `folder`) resolved, symbolic links followed, refused
    (Outside) when it leaves `folder` and (Refused) when it is a loop of symbolic links."""
    folder = Path(folder).resolve()
    try:
        target = (Path(base or folder) / relative).resolve()
        looped = target.is_symlink()  # a loop that resolve() leaves as it is (Python 3.13+)
    except (RuntimeError, OSError):  # a loop (RuntimeError before Python 3.13), a name too long
        looped = True
    except ValueError:  # a NUL character
        raise Refused("is not a usable file name") from None
    if looped:
        raise Refused("is a loop of symbolic links, not a file")
    if not target.is_relative_to(folder):
        raise Outside("is outside the folder")
    return target


def read_regular(path: Path, limit: int, noun: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Opened without blocking and checked
    on the open file: a named pipe would block for ever, a device never end."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("is a loop of symbolic links, not a file") from None
        raise Refused(f"cannot be read ({exc.strerror or exc.__class__.__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("is not a regular file (a named pipe, a device or a folder)")
        if info.st_size > limit:
            raise Refused(f"{noun} is {info.st_size:,} bytes, over the {limit:,} byte limit")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror or exc.__class__.__name__})") from None
    finally:
        os.close(fd)
    if size > limit:  # it grew while being read
        raise Refused(f"{noun} is over the {limit:,} byte limit")
    return b"".join(chunks)


@lru_cache(maxsize=16)  # a batch worker meets each school's logo once: keep memory flat
def _load(path: Path, mtime: float) -> LoadedImage:
    try:
        data = read_regular(path, MAX_IMAGE_BYTES, "image")
        if path.suffix.lower() == ".svg":
            return _load_svg(path, data)
        return _load_raster(data)
    except Refused as exc:
        raise BuildError.at(path, None, "", str(exc)) from None


def _set_fonts(node, family) -> None:
    from reportlab.graphics.shapes import String

    for child in getattr(node, "contents", []):
        if isinstance(child, String):
            name = child.fontName or ""
            bold = "Bold" in name
            italic = "Oblique" in name or "Italic" in name
            child.fontName = family.for_weight("bold_italic" if bold and italic else "bold" if bold
                                               else "italic" if italic else "regular")
        _set_fonts(child, family)


# ---- SVG --------------------------------------------------------------------------------------

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_DATA_IMAGE = re.compile(r"^data:image/(jpe?g|png);base64")  # what svglib decodes as an embedded image
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # http:, https:, file:, data:...


def _parse_svg(data: bytes):
    """The root element, parsed as svglib parses (comments dropped, errors recovered), never
    resolving entities nor reading the network; None for what is not XML at all."""
    from lxml import etree

    parser = etree.XMLParser(remove_comments=True, recover=True, resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(data, parser)
    except etree.LxmlError:
        return None


@dataclass
class _Links:
    """What an SVG pulls in, through every level of links, and what that costs."""

    folder: Path                                 # links stay inside it (the logo's folder)
    files: list = field(default_factory=list)    # each linked file once, in the order met
    images: int = 0                              # image references
    pixels: int = 0                              # of every raster: files counted once, data: images each time

    def add_pixels(self, width: int, height: int) -> None:
        self.pixels += width * height
        if self.pixels > MAX_IMAGE_PIXELS:
            raise Refused(f"the images it holds are {self.pixels / 1e6:.0f} megapixels together, over the "
                          f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")


def _shown(href: str) -> str:
    return href if len(href) <= 60 else href[:57] + "..."


def _scan_links(root, svg: Path, links: _Links) -> None:
    """Check every file or image `root` (parsed from `svg`) refers to, as svglib would resolve
    it: each must be a regular file inside the folder within the limits, or a PNG or JPEG data:
    image within the limits; nothing is ever fetched from the network."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag.rpartition("}")[2] == "a":
            continue  # an entity or a processing instruction; <a href> is a hyperlink, not a part
        href = element.get(XLINK_HREF) or element.get("href")
        if not href or href.startswith("#"):
            continue  # none, or a part of this same file
        try:
            _check_link(href, svg, links)
        except Refused as exc:
            raise Refused(f'links to "{_shown(href)}"{_joined(str(exc))}') from None


def _joined(why: str) -> str:
    """What is wrong with a link, after the link: 'links to "p.png", which is a named pipe'."""
    if why == "not found":
        return ", which is not found in the logo's folder"
    if why.startswith("is "):
        return f", which {why}"
    if why.startswith("outside"):
        return f", {why}"
    return f": {why}"


def _check_link(href: str, svg: Path, links: _Links) -> None:
    links.images += 1
    if links.images > MAX_SVG_IMAGES:
        raise Refused(f"one of over {MAX_SVG_IMAGES} images and files it links; a logo needs far fewer")
    if _DATA_IMAGE.match(href):
        _check_data_image(href, links)
        return
    iri = href.split("#", 1)[0]
    if not iri:
        return
    if SCHEME.match(iri):
        if iri.lower().startswith("data:"):
            raise Refused("only PNG and JPEG images can be embedded (data:image/png;base64 or data:image/jpeg;base64)")
        raise Refused("nothing is fetched from the network: save the file in the logo's folder and link it by "
                      "its file name")
    if os.path.isabs(iri):
        raise Refused("an absolute path; link files in the logo's folder by their relative name")
    try:
        target = resolve_inside(links.folder, iri, svg.parent)
    except Outside:
        raise Refused("outside the logo's folder") from None
    if target == svg or target in links.files:
        return  # this same file, or one checked already
    if len(links.files) >= MAX_SVG_FILES:
        raise Refused(f"one of over {MAX_SVG_FILES} files it pulls in")
    data = read_regular(target, MAX_IMAGE_BYTES, "image")
    links.files.append(target)
    if os.path.normpath(iri).endswith(".svg"):  # as svglib tells an SVG from a raster
        root = _parse_svg(data)
        if root is None:
            raise Refused("not a readable SVG")
        _scan_links(root, target, links)
    else:
        links.add_pixels(*_raster_size(data))


def _check_data_image(href: str, links: _Links) -> None:
    import base64
    import binascii

    payload = href[_DATA_IMAGE.match(href).end() + 1:]  # after the comma, as svglib reads it
    if len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
        raise Refused(f"the embedded image is over the {MAX_IMAGE_BYTES:,} byte limit")
    try:
        data = base64.decodebytes(payload.encode("ascii"))
    except (ValueError, binascii.Error):
        raise Refused("the embedded image is not valid base64") from None
    try:
        links.add_pixels(*_raster_size(data))
    except Refused as exc:
        why = str(exc)
        raise Refused(why.replace("image is", "the embedded image is", 1) if why.startswith("image is")
                      else f"the embedded image is {why}") from None


def svg_links(path: Path) -> list[Path]:
    """Every file the SVG at `path` pulls in (checked as a build checks them), for hashing;
    Refused names what is wrong. Worked out once per version of the file: a roster's schools
    often share one logo, and a one-page layout is built at several sizes."""
    path = resolve_inside("/", Path(path).absolute())
    try:
        info = path.stat()
    except OSError:
        raise Refused("not found") from None
    return list(_svg_links(path, info.st_mtime_ns, info.st_size))


@lru_cache(maxsize=64)
def _svg_links(path: Path, mtime_ns: int, size: int) -> tuple[Path, ...]:
    root = _parse_svg(read_regular(path, MAX_IMAGE_BYTES, "image"))
    links = _Links(path.parent)
    if root is not None:
        _scan_links(root, path, links)
    return tuple(links.files)


def _load_svg(path: Path, data: bytes | None = None) -> LoadedImage:
    path = Path(path)
    if data is None:
        data = read_regular(path, MAX_IMAGE_BYTES, "image")
    root = _parse_svg(data)
    links = _Links(path.resolve().parent)
    if root is not None:
        _scan_links(root, path.resolve(), links)
    if links.files:  # it pulls in other files, which the cache key would not cover: convert each time
        drawing = _convert_svg(path, root)
    else:
        from importlib.metadata import version

        from guidebuilder.diskcache import cached

        drawing = cached(f"svg-svglib{version('svglib')}-reportlab{version('reportlab')}", data,
                         lambda: _convert_svg(path, root), keep=500)
    _check_svg_size(drawing, root)
    return LoadedImage("vector", drawing, float(drawing.width), float(drawing.height))


def _convert_svg(path: Path, root):
    """The drawing of the parsed SVG; its links were checked (_scan_links), and svglib keeps
    references inside the logo's folder too."""
    import logging

    from svglib.svglib import SvgRenderer

    if root is None:
        return None
    logging.getLogger("svglib").setLevel(logging.ERROR)
    try:
        return SvgRenderer(str(Path(path).resolve()), external_reference_root=str(Path(path).resolve().parent)).render(root)
    except Exception as exc:  # svglib raises many kinds for a bad file
        raise Refused(f"not a readable SVG ({exc.__class__.__name__})") from None


def _check_svg_size(drawing, root) -> None:
    """A size a logo can be drawn at: positive, finite, not a speck, not a hairline."""
    width = float(drawing.width) if drawing is not None else 0.0
    height = float(drawing.height) if drawing is not None else 0.0
    given = " ".join(f'{name}="{_shown(root.get(name))}"' for name in ("width", "height", "viewBox")
                     if root is not None and root.get(name) is not None)
    usable = all(math.isfinite(side) and side > 0 for side in (width, height))
    if not usable and not given:
        raise Refused("not a readable SVG (no size)")
    if not usable:
        raise Refused(f"the SVG has no usable size ({given}); give its <svg> element a positive width "
                      f"and height")
    if root is not None and not _usable_view_box(root.get("viewBox")):
        raise Refused(f"the SVG's viewBox has no usable size ({given}): its last two numbers, the width and "
                      f"height of the artwork, must be positive")
    px = f"{width / 0.75:g} x {height / 0.75:g} px"
    if min(width, height) < MIN_SVG_SIDE:
        raise Refused(f"the SVG is {px} ({given}), too small to draw: at least 1 px each way; "
                      f"set its <svg> width and height to the artwork's size")
    if max(width, height) > MAX_SVG_SIDE:
        raise Refused(f"the SVG is {px} ({given}), too large: at most {MAX_SVG_SIDE / 0.75:,.0f} px each "
                      f"way; set its <svg> width and height to the artwork's size")
    if max(width, height) / min(width, height) > MAX_SVG_ASPECT:
        raise Refused(f"the SVG is {px} ({given}): one side is over {MAX_SVG_ASPECT} times the other; "
                      f"set its <svg> width and height to the artwork's size")


def _usable_view_box(view_box: str | None) -> bool:
    """No viewBox, one svglib would not read, or one of a positive, finite size: a zero or
    negative one scales the artwork without bound."""
    if view_box is None:
        return True
    try:
        numbers = [float(n) for n in re.split(r"[\s,]+", view_box.strip())]
    except ValueError:
        return True
    if len(numbers) != 4:
        return True
    return all(math.isfinite(n) for n in numbers) and numbers[2] > 0 and numbers[3] > 0


# ---- rasters ----------------------------------------------------------------------------------


def _raster_size(data: bytes) -> tuple[int, int]:
    """The size of PNG or JPEG bytes, read from the header, within the pixel limit."""
    import io

    from PIL import Image

    pillow_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # ours, lower, is checked below; Pillow's would only warn
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as probe:
            width, height = probe.size
    except Exception as exc:
        raise Refused(f"not a readable PNG or JPEG image ({exc.__class__.__name__})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
    if width * height > MAX_IMAGE_PIXELS:
        raise Refused(f"image is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
    return width, height


def _load_raster(data: bytes) -> LoadedImage:
    import io

    from PIL import Image, ImageOps

    pillow_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our lower limit is checked as soon as the header is read
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as probe:
            Image.MAX_IMAGE_PIXELS = pillow_limit
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Refused(f"image is {width}x{height} pixels, over the "
                              f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
            probe.load()
            image = probe.copy()
            orientation = _orientation(probe)
    except Refused:
        raise
    except Exception as exc:
        raise Refused(f"not a readable PNG or JPEG image ({exc.__class__.__name__})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
    if orientation in (2, 3, 4, 5, 6, 7, 8):  # print it the way up the photo is seen
        image.info["exif"] = probe.info.get("exif", b"")
        image = ImageOps.exif_transpose(image)
        width, height = image.size
    if image.mode == "CMYK":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):  # transparent margins would shrink the logo inside its box
        box = image.getchannel("A").getbbox()
        if box and box != (0, 0, width, height):
            image = image.crop(box)
            width, height = image.size
    return LoadedImage("raster", image, float(width), float(height))


def _orientation(image) -> int:
    """The EXIF Orientation (how the camera was held), 1 (upright) when none can be read: a
    damaged EXIF block never costs a logo that prints."""
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


def load_image(path: Path) -> LoadedImage:
    """The image at `path` (PNG, JPEG or SVG); BuildError names `path` and what is wrong."""
    try:
        path = resolve_inside("/", Path(path).absolute())  # symbolic links followed; a loop refused
        mtime = path.stat().st_mtime
    except Refused as exc:
        raise BuildError.at(path, None, "", str(exc)) from None
    except OSError:
        raise BuildError.at(path, None, "", "not found") from None
    return _load(path, mtime)

@lru_cache(maxsize=256)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules for `url`, encoded once (segno), without the quiet zone."""
    from importlib.metadata import version

    from guidebuilder.diskcache import cached

    def encode():
        import segno

        code = segno.make(url, error="m", micro=False)
        return tuple(tuple(bool(m) for m in row) for row in code.matrix)

    return cached(f"qr-segno{version('segno')}", url.encode("utf-8"), encode, keep=4000)


class AssetCache:
    """The per-process caches, behind one object the render context carries."""

    def image(self, path: Path) -> LoadedImage:
        return load_image(path)

    def qr(self, url: str):
        return qr_matrix(url)
