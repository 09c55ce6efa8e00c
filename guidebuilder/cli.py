"""The command line: thin commands over the pipeline. Heavy imports wait until they are needed."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from guidebuilder import __version__
from guidebuilder.pdf.geometry import PAGE_SIZES as PAGE_SIZE_POINTS  # stdlib only: start-up stays fast

PAGE_SIZES = click.Choice(list(PAGE_SIZE_POINTS), case_sensitive=False)

# Out of memory, the report itself must not need memory: a reserve (calloc'd, so it costs no real
# memory until touched) is freed first, and the message is made in advance (a second MemoryError
# while wording it once printed a traceback).
_MEMORY_RESERVE: bytes | None = bytes(8 * 1024 * 1024)
_OUT_OF_MEMORY = ("error: ran out of memory; build fewer or smaller documents at a time "
                  "(fewer --jobs, smaller logos)\n")


class Length(click.ParamType):
    """A length with a unit: 0.125in, 3mm, 9pt."""

    name = "LENGTH"

    def convert(self, value, param, ctx):
        from guidebuilder.render.stylesheet import parse_length

        try:
            points = parse_length(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if not 0 <= points <= 36:
            self.fail(f"{value} is outside 0 to 0.5in", param, ctx)
        return points


def print_options(function):
    """--bleed, --crop-marks, --print and --no-fields, shared by build and batch."""
    options = [
        click.option("--bleed", type=Length(), default="0pt", help="Extend colour bands past the trim, e.g. 0.125in or 3mm."),
        click.option("--crop-marks", is_flag=True, help="Draw crop marks outside the trim (and bleed)."),
        click.option("--print", "print_mode", is_flag=True, help="Print-shop output: --bleed 0.125in --crop-marks."),
        click.option("--no-fields", is_flag=True, help="Flat checklists without fillable form fields."),
        click.option("--cmyk", is_flag=True, help="Write colours as CMYK, for print shops that ask for it."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def make_print_options(bleed: float, crop_marks: bool, print_mode: bool, no_fields: bool, cmyk: bool):
    from guidebuilder.pdf.geometry import PrintOptions

    if print_mode:
        bleed, crop_marks = bleed or 9.0, True
    return PrintOptions(bleed=bleed, crop_marks=crop_marks, fields=not no_fields, cmyk=cmyk)


class Context:
    """What every command shares: whether to show tracebacks, and what to add to "interrupted"."""

    def __init__(self, debug: bool):
        self.debug = debug
        self.after_interrupt: str | None = None  # e.g. what a stopped batch has kept


def echo_error(exc, reported: set[str] | None = None) -> None:
    """Every problem of a guidebuilder error, one `error: FILE[:LINE]: [key: ]message` line each
    (a line already in `reported` is not said again)."""
    for problem in exc.problems:
        line = str(problem)
        if reported is None or line not in reported:
            if reported is not None:
                reported.add(line)
            click.secho(f"error: {line}", fg="red", err=True)


def echo_warning(problem) -> None:
    """A collected note: `warning: FILE[:LINE]: ...`, the same for every command."""
    click.secho(f"warning: {problem}", fg="yellow", err=True)


class GuidebuilderGroup(click.Group):
    """The one place a command's failure becomes what the user reads and the exit code, as
    click's own main does for its exceptions: guidebuilder errors, Ctrl-C and SIGTERM, running
    out of memory, and (said as such, without a traceback) a bug of ours."""

    def invoke(self, ctx: click.Context):
        from guidebuilder.errors import GuidebuilderError, internal_error

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except MemoryError as exc:
            if _debug(ctx):
                raise
            report_out_of_memory(exc)  # first: nothing before it may need memory
            sys.exit(1)
        except KeyboardInterrupt as exc:  # Terminated too
            if _debug(ctx):
                raise
            how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
            after = getattr(ctx.obj, "after_interrupt", None)
            click.secho(f"{how}: {after}" if after else how, fg="yellow", err=True)
            sys.exit(code)
        except GuidebuilderError as exc:
            if _debug(ctx):
                raise
            echo_error(exc)
            sys.exit(exc.exit_code)
        except Exception as exc:  # noqa: BLE001 - a bug of ours: say so, in one line
            if _debug(ctx):
                raise
            echo_error(internal_error(exc))
            sys.exit(1)


def _debug(ctx: click.Context) -> bool:
    return bool(getattr(ctx.obj, "debug", False))


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a service manager stopping the run): stopped the way Ctrl-C stops it, so
    every `except KeyboardInterrupt` on the way out (workers, manifest) does the same cleanup."""


def stop_on_sigterm():
    """Raise Terminated on SIGTERM; returns the handler it replaced (None where signals cannot
    be set: not the main thread)."""
    import signal

    def terminate(signum, frame):
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, terminate)
    except ValueError:
        return None


def restore_sigterm(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def note_samples(notes) -> None:
    """Say which built-in samples stand in for the working folder's own content (on stderr: the
    output of a command stays what it was)."""
    for note in notes:
        click.echo(f"note: {note}", err=True)


def report_out_of_memory(exc: MemoryError) -> None:
    """Free what can be freed, then print the one-line message without allocating anything big."""
    global _MEMORY_RESERVE
    _MEMORY_RESERVE = None
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None  # the frames of the build, and their data
    try:
        gc.collect()  # a build runs with the collector off: what is left in cycles goes now
        sys.stderr.write(_OUT_OF_MEMORY)
        sys.stderr.flush()
    except (MemoryError, OSError, ValueError):
        try:
            os.write(2, _OUT_OF_MEMORY.encode())  # the error stream's own buffer could not take it
        except (MemoryError, OSError):
            pass  # nothing else can be said; the exit code still tells


@click.group(cls=GuidebuilderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="guidebuilder")
@click.option("--debug", is_flag=True, help="Show a full traceback when something goes wrong.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn career guides (YAML) into branded, printable PDF handouts and checklists.

    \b
    Examples:
      guidebuilder build                       the default guide for the default school
      guidebuilder build --school lakeside     branded for content/schools/lakeside
      guidebuilder build --layout brochure     the tri-fold brochure
      guidebuilder batch --roster schools.csv  every school of a spreadsheet, in parallel
      guidebuilder check                       validate every guide, school and layout
      guidebuilder new-school "Lakeside Community College"
    """
    ctx.obj = Context(debug)
    # A short run frees everything at exit: collecting cycles along the way, and again at
    # shutdown, only costs time (measured: about a tenth of a one-off build).
    gc.disable()
    ctx.call_on_close(gc.freeze)


@main.command()
@click.option("--guide", "guide", metavar="PATH", help="Guide file or id (default: medical-coder).")
@click.option("--school", "school", metavar="PATH",
              help="School file, folder or slug under content/schools/ (default: default).")
@click.option("--layout", "layouts", multiple=True, metavar="NAME",
              help="Layout to build; repeat for several (default: handout and checklist).")
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write into; files go to OUT/<school>/<guide>-<layout>.pdf.")
@click.option("--page-size", type=PAGE_SIZES, help="Override the school's page size.")
@print_options
@click.pass_obj
def build(obj: Context, guide, school, layouts, out_dir, page_size, bleed, crop_marks, print_mode, no_fields,
          cmyk) -> None:
    """Build PDFs for one guide and one school.

    \b
    Examples:
      guidebuilder build
      guidebuilder build --school lakeside --page-size a4
      guidebuilder build --guide content/medical-coder.yaml --school path/to/school.yaml
      guidebuilder build --layout checklist --out print/
      guidebuilder build --school lakeside --print      bleed and crop marks for a print shop
    """
    from guidebuilder.errors import collecting_notes
    from guidebuilder.load.locations import sample_notes
    from guidebuilder.pipeline import LAYOUTS, build as build_documents, load_inputs

    with collecting_notes() as warnings:
        inputs = load_inputs(guide, school)
        written = build_documents(inputs, layouts or LAYOUTS, Path(out_dir),
                                  page_size.lower() if page_size else None,
                                  make_print_options(bleed, crop_marks, print_mode, no_fields, cmyk))
    for warning in warnings:
        echo_warning(warning)
    # Said once the documents are written: they are what the note is about.
    note_samples(sample_notes([inputs.school_file], [inputs.guide_file], school is not None, guide is not None))
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def check(obj: Context, paths) -> None:
    """Validate guides, schools and layouts without building PDFs.

    With no PATH, checks every guide, school and layout in content/ and layouts/.
    Exits with 2 if any file has a problem.

    \b
    Examples:
      guidebuilder check
      guidebuilder check content/schools/lakeside/school.yaml
      guidebuilder check content/medical-coder.yaml layouts/handout.xml.j2
    """
    from guidebuilder.check import check_one, default_target_notes, default_targets
    from guidebuilder.errors import display_path

    if not paths:
        note_samples(default_target_notes())
    failed = False
    reported: set[str] = set()  # a broken guide is found again by every layout checked with it: say it once
    for path in paths or default_targets():
        result = check_one(path)
        if result.error is None:
            click.echo(f"ok     {display_path(path)} ({result.kind})")
            for note in result.notes:
                click.echo(f"       {note}")
            continue
        failed = True
        if obj.debug:
            raise result.error
        for note in result.notes:
            click.secho(note, fg="yellow", err=True)
        echo_error(result.error, reported)
    sys.exit(2 if failed else 0)


@main.command("new-school")
@click.argument("name")
@click.option("--logo", type=click.Path(path_type=Path), help="Logo file to copy in (PNG, JPEG or SVG).")
@click.option("--primary", metavar="COLOUR", help='Primary brand colour, e.g. "#0B4F6C".')
@click.option("--dir", "schools_dir", default="content/schools", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where school folders live.")
@click.pass_obj
def new_school(obj: Context, name, logo, primary, schools_dir) -> None:
    """Start a new school: writes <dir>/<slug>/school.yaml with every optional key shown.

    \b
    Examples:
      guidebuilder new-school "Lakeside Community College"
      guidebuilder new-school "Lakeside Community College" --logo ~/lakeside.svg --primary "#0B4F6C"
    """
    from guidebuilder.errors import display_path
    from guidebuilder.scaffold import new_school as scaffold

    school_file = scaffold(name, schools_dir, logo, primary)
    click.echo(f"wrote {display_path(school_file)}")
    in_content = school_file.parent.parent.resolve() == (Path.cwd() / "content" / "schools").resolve()
    target = school_file.parent.name if in_content else display_path(school_file.parent)
    click.echo(f"next:  guidebuilder build --school {target}")


@main.command()
@click.pass_obj
def schools(obj: Context) -> None:
    """List the schools in content/schools/ with their validation status, one line each.

    \b
    Examples:
      guidebuilder schools
    """
    from guidebuilder.check import check_one
    from guidebuilder.load.locations import all_school_files, sample_notes

    files = all_school_files()
    note_samples(sample_notes(files))
    if not files:
        click.echo("no schools found in content/schools/")
    for school_file in files:
        result = check_one(school_file)
        slug = school_file.parent.name
        if result.error is None:
            from guidebuilder.load import load_school

            click.echo(f"{slug:<24} ok       {load_school(school_file).name}")
        else:
            count = len(result.error.problems)
            first = str(result.error).splitlines()[0]
            click.echo(f"{slug:<24} invalid  {count} problem(s), first: {first}")


@main.command()
@click.argument("school_names", nargs=-1, metavar="[SCHOOL]...")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of schools, one per row (dotted column names for nested keys).")
@click.option("--guide", "guides", multiple=True, metavar="PATH", help="Guide file or id; repeat for several.")
@click.option("--layout", "layouts", multiple=True, metavar="NAME", help="Layout; repeat for several.")
@click.option("--page-size", type=PAGE_SIZES, help="Override every school's page size.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: one per CPU; never more than the schools to build, "
                   "nor more than two per CPU).")
@click.option("--force", is_flag=True, help="Rebuild everything, even outputs that are up to date.")
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into; files go to OUT/<school>/<guide>-<layout>.pdf.")
@click.option("--shard", metavar="K/N", help="Build only the K-th of N stable slices of the schools.")
@click.option("--combine", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one PDF holding every document, in school order, for a print shop.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and failures.")
@click.option("--verbose", "-v", is_flag=True, help="Print every file written.")
@print_options
@click.pass_obj
def batch(obj: Context, school_names, roster, guides, layouts, page_size, jobs, force, out_dir, shard, combine,
          quiet, verbose, bleed, crop_marks, print_mode, no_fields, cmyk) -> None:
    """Build the documents of many schools in parallel, skipping what is up to date.

    With no SCHOOL and no --roster, builds every school in content/schools/. Several
    guides and layouts multiply out. Exit code 1 if any school failed, 2 for bad arguments.

    \b
    Examples:
      guidebuilder batch                                  every school, handout and checklist
      guidebuilder batch lakeside riverbend --layout checklist
      guidebuilder batch --roster schools.csv --jobs 8 --combine print/all.pdf
      guidebuilder batch --roster schools.csv --shard 3/10   one machine's tenth of the work
    """
    from guidebuilder.batch.run import BatchOptions, run_batch
    from guidebuilder.batch.report import Reporter

    gc.enable()  # a batch is long: keep memory flat

    options = BatchOptions(list(school_names), roster, list(guides), list(layouts), out_dir,
                           page_size.lower() if page_size else None, jobs or 0, force, shard, combine,
                           make_print_options(bleed, crop_marks, print_mode, no_fields, cmyk))
    reporter = Reporter(quiet=quiet, verbose=verbose, out_dir=out_dir, warn=echo_warning)
    obj.after_interrupt = "finished files and the manifest are saved; rerun to build the rest"
    previous = stop_on_sigterm()
    try:
        summary = run_batch(options, reporter)
    finally:
        reporter.close()  # the progress bar ends before anything else is said
        restore_sigterm(previous)
    reporter.summary(summary)
    sys.exit(1 if summary.failures else 0)
