"""Images and QR codes, decoded once per process and reused by every document."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from guidebuilder.errors import BuildError

MAX_IMAGE_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 40_000_000


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


@lru_cache(maxsize=16)  # a batch worker meets each school's logo once: keep memory flat
def _load(path: Path, mtime: float) -> LoadedImage:
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise BuildError(f"{path}: image is {size:,} bytes, over the {MAX_IMAGE_BYTES:,} byte limit")
    if path.suffix.lower() == ".svg":
        return _load_svg(path)
    return _load_raster(path)


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


def _load_svg(path: Path) -> LoadedImage:
    import re

    data = path.read_bytes()
    if re.search(rb"""href\s*=\s*["'](?!#|data:)""", data):  # it pulls in other files: convert each time
        drawing = _convert_svg(path)
    else:
        from importlib.metadata import version

        from guidebuilder.diskcache import cached

        drawing = cached(f"svg-svglib{version('svglib')}-reportlab{version('reportlab')}", data,
                         lambda: _convert_svg(path), keep=500)
    return LoadedImage("vector", drawing, float(drawing.width), float(drawing.height))


def _convert_svg(path: Path):
    import logging

    from svglib.svglib import svg2rlg

    logging.getLogger("svglib").setLevel(logging.ERROR)
    try:
        # References to other files stay inside the logo's folder (svglib refuses the rest).
        drawing = svg2rlg(str(path), external_reference_root=str(path.parent))
    except Exception as exc:  # svglib raises many kinds for a bad file
        raise BuildError(f"{path}: not a readable SVG ({exc.__class__.__name__})") from None
    if drawing is None or not drawing.width or not drawing.height:
        raise BuildError(f"{path}: not a readable SVG (no size)")
    return drawing


def _load_raster(path: Path) -> LoadedImage:
    from PIL import Image

    pillow_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our lower limit is checked as soon as the header is read
    try:
        with Image.open(path, formats=["PNG", "JPEG"]) as probe:
            Image.MAX_IMAGE_PIXELS = pillow_limit
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise BuildError(f"{path}: image is {width}x{height} pixels, over the "
                                 f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
            probe.load()
            image = probe.copy()
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"{path}: not a readable PNG or JPEG image ({exc.__class__.__name__})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
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


def load_image(path: Path) -> LoadedImage:
    path = Path(path).resolve()
    return _load(path, path.stat().st_mtime)


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
