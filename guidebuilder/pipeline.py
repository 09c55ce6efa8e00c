"""The whole pipeline on one screen: load -> template -> render -> write.

    guide, school  = load (YAML -> validated models)
    markup         = template (Jinja2 layout + guide + school -> layout markup)
    flowables      = render (markup -> components -> ReportLab flowables, styled by the theme)
    pdf            = write (flowables -> deterministic PDF bytes -> atomic file)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guidebuilder.load import locations
from guidebuilder.errors import BuildError, InputError, display_path
from guidebuilder.pdf.geometry import Geometry, PrintOptions
from guidebuilder.render.glyphs import check_glyphs
from guidebuilder.load import load_guide_source, load_school_source

if TYPE_CHECKING:
    from guidebuilder.load.models import Guide, School
    from guidebuilder.load.yamlsource import YamlSource

LAYOUTS = ("handout", "checklist")


@dataclass(frozen=True)
class Inputs:
    guide: Guide
    guide_file: Path
    school: School
    school_file: Path
    guide_source: YamlSource | None = None    # the YAML behind them, for line numbers in later checks
    school_source: YamlSource | None = None


def load_inputs(guide: str | None, school: str | None) -> Inputs:
    guide_file = locations.find_guide(guide)
    school_file = locations.find_school(school)
    guide_model, guide_source = load_guide_source(guide_file)
    school_model, school_source = load_school_source(school_file)
    return Inputs(guide_model, guide_file, school_model, school_file, guide_source, school_source)


def output_path(out_dir: Path, inputs: Inputs, layout: str) -> Path:
    """out/<school>/<guide>-<layout>.pdf; never a path outside `out_dir`.

    The test is on the names alone (the guide's id and the school's slug): a symbolic link already
    where an output goes is the overwrite check's to name (refuse_overwrites), as in a batch."""
    import os

    path = Path(out_dir) / inputs.school.slug / f"{inputs.guide.id}-{layout}.pdf"
    if not Path(os.path.abspath(path)).is_relative_to(os.path.abspath(out_dir)):
        raise InputError.at(display_path(inputs.guide_file), None, "id", "would write outside the output folder")
    return path


def build_pdf(inputs: Inputs, layout: str | Path, page_size: str | None = None,
              options: PrintOptions | None = None) -> bytes:
    """One document's PDF bytes (`layout`: a name, or a layout file). The same inputs always
    give the same bytes."""
    from guidebuilder.render.components import MarkupError
    from guidebuilder.render.parse import parse_markup
    from guidebuilder.render.stylesheet import stylesheet_at
    from guidebuilder.template import render_markup
    from guidebuilder.render.theme import make_theme

    layout_file = Path(layout) if isinstance(layout, Path) else locations.find_layout(layout)
    layout = layout_file.name.removesuffix(".xml.j2")
    sheet = stylesheet_at(locations.stylesheet_path())
    size_name = page_size or inputs.school.page_size
    search = tuple(dict.fromkeys([layout_file.resolve().parent, *locations.layout_dirs()]))
    context = dict(guide=inputs.guide, school=inputs.school, page_size=size_name, layout=layout)
    markup = render_markup(layout_file, search, **context)
    try:
        root = parse_markup(markup)
        theme = make_theme(sheet, inputs.school, inputs.school_file)
        check_glyphs(theme.fonts, [inputs.guide_source, inputs.school_source], markup, layout_file)
        return _fit(root, theme, inputs, size_name, layout, options or PrintOptions())
    except MarkupError as exc:
        raise _markup_problem(exc, layout_file, search, context) from None


def _markup_problem(exc, layout_file: Path, search: tuple, context: dict) -> InputError:
    """A markup error, at the line of the layout template that wrote it where that can be told."""
    from guidebuilder.template import markup_line_origin

    line = markup_line_origin(layout_file, search, exc.line, **context) if exc.line else None
    message = str(exc) if line else f"markup line {exc.line}: {exc}"
    return InputError.at(display_path(layout_file), line, "", message)


def _fit(root, theme, inputs: Inputs, size_name: str, layout: str, options: PrintOptions) -> bytes:
    """Render; a one-page document shrinks its type until it fits, down to its minimum size.

    Candidate sizes are measured (wrapped, not drawn), so only the one that fits is rendered.
    """
    from guidebuilder.render.assets import AssetCache
    from guidebuilder.render.parse import RenderContext
    from guidebuilder.pdf.geometry import PAGE_SIZES
    from guidebuilder.pdf.pages import TooLarge, render_pdf

    width, height = PAGE_SIZES[size_name]
    if root["orientation"] == "landscape":
        width, height = height, width
    geometry = Geometry(width, height, options.bleed, options.crop_marks)

    def context(scale: float) -> RenderContext:
        return RenderContext(theme.scaled(scale), inputs.school, inputs.school_file, width, height, AssetCache(),
                             geometry, options)

    if root["fit"] != "one-page":
        ctx = context(1.0)
        try:
            pdf, pages = render_pdf(root.build(ctx), ctx)
        except TooLarge as exc:
            raise BuildError.at(display_path(inputs.guide_file), None, "", f"the {layout} cannot be laid out: {exc}",
                                "shorten it") from None
        except BuildError as exc:
            raise BuildError.at(display_path(inputs.guide_file), None, "", f"the {layout}: {exc}") from None
        if pages > root["max-pages"]:
            raise BuildError.at(display_path(inputs.guide_file), None, "", f"the {layout} runs to {pages} pages, over its limit "
                                 f"of {root['max-pages']}", "shorten the guide")
        return pdf
    body_size = theme.sheet.type["body"].size
    smallest = min(1.0, root["min-font-size"] / body_size)
    scales = [1.0] + [s / 100 for s in range(97, 0, -3) if s / 100 > smallest] + [smallest]
    for scale in scales:
        ctx = context(scale)
        flowables = root.build(ctx)
        if _overflow(flowables, ctx) > 0 and scale != smallest:
            continue
        try:
            pdf, pages = render_pdf(flowables, ctx)
        except TooLarge:
            continue
        if pages == 1:
            return pdf
    overflow = _overflow(flowables, ctx)
    raise BuildError.at(
        display_path(inputs.guide_file), None, "",
        f"the {layout} does not fit on one page even at {root['min-font-size']:g} pt: "
        f"it is about {overflow / 72:.1f} in ({overflow / (height - 2 * 72) * 100:.0f}% of a page) too long",
        "shorten its content" + (" (fewer checklist items or shorter detail lines)" if layout == "checklist" else ""))


def _overflow(flowables, ctx) -> float:
    """Roughly how much taller than one page the content is, in points."""
    from guidebuilder.pdf.pages import first_frame_height
    from guidebuilder.render.flowables import stacked_height

    frame_height = first_frame_height(ctx)
    return max(0.0, stacked_height(flowables, ctx.frame_width, frame_height, skip_flexible=True) - frame_height)


def build(inputs: Inputs, layouts, out_dir: Path, page_size: str | None = None,
          options: PrintOptions | None = None) -> list[Path]:
    """Build each layout, then write them all: a failure leaves no file half written."""
    from guidebuilder.pdf.write import write_atomic

    refuse_overwrites(inputs, [output_path(out_dir, inputs, layout) for layout in layouts])
    documents = [(output_path(out_dir, inputs, layout), build_pdf(inputs, layout, page_size, options))
                 for layout in layouts]
    for path, pdf in documents:
        write_atomic(path, pdf)
    return [path for path, _ in documents]


def refuse_overwrites(inputs: Inputs, targets: list[Path]) -> None:
    """No output may replace a file this build reads, nor a file guidebuilder did not write."""
    from guidebuilder.pdf.outputs import Inputs as Reads, check_targets, layout_role, school_asset_files, target_label

    reads = Reads()
    reads.add(inputs.guide_file, "the guide this run reads")
    reads.add(inputs.school_file, "the school file this run reads")
    school = inputs.school
    fonts = school.fonts.model_dump() if getattr(school, "fonts", None) else {}
    for path, what in school_asset_files(Path(inputs.school_file).resolve().parent,
                                         {"logo": school.logo, "fonts": {k: v for k, v in fonts.items() if v}}):
        reads.add(path, what)
    for folder in locations.layout_dirs():
        reads.add_tree(folder, layout_role)
    check_targets([(path, target_label(path), "choose another --out", False) for path in targets], reads)
