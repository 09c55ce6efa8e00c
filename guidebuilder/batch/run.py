"""Batch production: the same pipeline for many schools, in worker processes, incrementally.

Phase 1 (parent): gather schools (folders, roster rows), hash every input, and keep only the
outputs that are missing or out of date. Phase 2 (workers): build each school's documents;
each worker keeps its fonts, logos, QR codes and compiled templates cached across schools.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from guidebuilder import __version__
from guidebuilder.load import locations
from guidebuilder.errors import GuidebuilderError, InputError, collecting_notes, internal_error
from guidebuilder.batch.manifest import Manifest, combine, entry, file_digest, journal_record, stat_of, tree_digest

if TYPE_CHECKING:
    from guidebuilder.pdf.geometry import PrintOptions


@dataclass
class SchoolSource:
    """Where one school comes from: a school.yaml file, or a row of a roster."""

    slug: str
    path: Path                       # school.yaml, or the roster CSV
    line: int | None = None          # the roster row's line
    data: dict | None = None         # the roster row's values
    problems: list = field(default_factory=list)
    assets: list = field(default_factory=list)  # (logo or font file, what it is), set by school_digest

    @property
    def label(self) -> str:
        return f"{self.slug} (row on line {self.line})" if self.line else self.slug


@dataclass
class Output:
    relative: str                    # e.g. lakeside/medical-coder-handout.pdf
    guide_file: Path
    layout: str
    inputs_hash: str


@dataclass
class Job:
    school: SchoolSource
    outputs: list[Output]
    out_dir: Path
    page_size: str | None
    options: PrintOptions | None = None


@dataclass
class Result:
    relative: str
    ok: bool
    message: str = ""
    pdf_hash: str = ""
    size: int = 0
    mtime_ns: int = 0
    reads: dict | None = None           # files the layout read: path -> sha256
    notes: tuple = ()                   # warnings (Problems) of the school's build, on its first result


# ---- phase 1: gather -------------------------------------------------------------------


def gather_schools(names: list[str], roster: Path | None) -> list[SchoolSource]:
    """Schools named on the command line, the rows of a roster, or every school in content/."""
    from guidebuilder.load.roster import read_roster

    sources = []
    for name in names:
        path = locations.find_school(name)
        sources.append(SchoolSource(locations.resolved(path).parent.name, path))
    if roster is not None:
        for row in read_roster(roster):
            sources.append(SchoolSource(row.slug, row.csv_path, row.line, row.data, row.problems))
    if not names and roster is None:
        sources = [SchoolSource(p.parent.name, p) for p in locations.all_school_files()]
    return sources


def in_shard(slug: str, shard: tuple[int, int] | None) -> bool:
    """Stable slices: a school's shard depends only on its slug, not on the order of the list."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha1(slug.encode("utf-8")).hexdigest(), 16) % n == k - 1


def school_digest(source: SchoolSource) -> str:
    """A hash of the school's own data and every file it points at (logo, fonts), read within
    a size limit (manifest.file_digest): one hostile school must not stall the whole batch."""
    from guidebuilder.load.yamlsource import load_yaml

    if source.data is not None:
        data, text = source.data, json.dumps(source.data, sort_keys=True)
    else:
        try:
            loaded = load_yaml(source.path)
        except InputError:
            return combine(["unreadable", str(source.path)])  # the build reports why
        data, text = loaded.data, json.dumps(loaded.data, sort_keys=True, default=str)
    from guidebuilder.pdf.outputs import school_asset_files

    folder = locations.resolved(source.path).parent
    assets = []
    source.assets = school_asset_files(folder, data)
    for path, _ in source.assets:
        assets += _asset_digests(folder, str(path.relative_to(folder)))
    return combine([text, *assets])


def _asset_digests(folder: Path, relative: str) -> list[str]:
    """Digests of a school's file and, for an SVG, of every file it links (a recoloured PNG
    inside the logo must rebuild it). file_digest caps the size; the build says what is wrong."""
    from guidebuilder.render.assets import Refused, resolve_inside, svg_links

    try:
        target = resolve_inside(folder, relative)
    except Refused:
        return [f"refused:{relative}"]
    digests = [file_digest(target)]
    if target.suffix.lower() == ".svg" and target.is_file():
        try:
            linked = svg_links(target)
        except Refused as exc:
            linked, digests = [], digests + [f"refused:{exc}"]
        digests += [f"{path.relative_to(target.parent)}:{file_digest(path)}" for path in linked]
    return digests


def plan(sources, guide_files, layouts, out_dir: Path, page_size, manifest: Manifest, force: bool, options=None):
    """The jobs to run, the outputs already up to date, and the schools refused outright."""
    shared = combine([__version__, _reportlab_version(), tree_digest(locations.layout_dirs()), page_size or "",
                      options.key() if options else ""])
    guides = {g: file_digest(g) for g in guide_files}
    guide_ids = {g: _guide_id(g) for g in guide_files}
    jobs, fresh, rejected, claimed = [], [], [], {}
    for source in sources:
        if source.slug in claimed:  # its outputs belong to the first school with this slug
            rejected.append((source, "\n".join(str(p) for p in source.problems) or
                             f'slug "{source.slug}" is already used by {claimed[source.slug]}; give this school '
                             f"its own slug"))
            continue
        claimed[source.slug] = source.label
        digest = school_digest(source)
        outputs = []
        for guide_file in guide_files:
            for layout in layouts:
                relative = f"{source.slug}/{guide_ids[guide_file]}-{layout}.pdf"
                inputs = combine([shared, guides[guide_file], digest, layout])
                if not force and not source.problems and manifest.up_to_date(relative, inputs):
                    fresh.append(relative)
                else:
                    outputs.append(Output(relative, guide_file, layout, inputs))
        if outputs:
            jobs.append(Job(source, outputs, out_dir, page_size, options))
    return jobs, fresh, rejected


def _guide_id(guide_file: Path) -> str:
    from guidebuilder.load import load_guide

    return load_guide(guide_file).id


def _reportlab_version() -> str:
    """The versions of everything that shapes a PDF: a new one rebuilds every output."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("reportlab", "rl-accel", "font-source-sans-pro", "svglib", "pillow", "segno", "lxml",
                    "jinja2", "pyyaml", "pydantic"):
        try:
            parts.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package}=none")
    return ";".join(parts)


# ---- phase 2: build --------------------------------------------------------------------


_freeze_after_first_job = False  # set in worker processes (see _quiet_worker)


class WorkerStopped(SystemExit):
    """SIGTERM in a worker: the document in hand is dropped (its temporary file removed on the
    way out), and an idle worker exits quietly (multiprocessing prints no traceback for SystemExit)."""


def _stop_worker(signum, frame):
    raise WorkerStopped(128 + signum)


def build_job(job: Job) -> list[Result]:
    """Build one school's documents (in a worker). Never raises: failures become results."""
    global _freeze_after_first_job
    try:
        with collecting_notes() as notes:
            results = _build_job(job)
    except WorkerStopped:
        return []  # what it finished is in the journal; the batch is stopping
    if results:
        results[0].notes = tuple(notes)  # back to the parent, which says each once

    if _freeze_after_first_job:
        import gc

        gc.freeze()
        _freeze_after_first_job = False
    return results


def _build_job(job: Job) -> list[Result]:
    from guidebuilder.load import load_guide_source, school_from_source
    from guidebuilder.pipeline import Inputs, build_pdf
    from guidebuilder.render.parse import recording_reads
    from guidebuilder.pdf.write import write_atomic

    source = job.school
    try:
        if source.problems:
            raise InputError(source.problems)
        if source.data is not None:
            from guidebuilder.load.roster import RosterRow

            yaml_source = RosterRow(source.path, source.line, source.slug, source.data, []).source()
            school = school_from_source(yaml_source, source.slug)
        else:
            from guidebuilder.load import load_school_source

            school, yaml_source = load_school_source(source.path)
    except GuidebuilderError as exc:
        return [Result(o.relative, False, str(exc)) for o in job.outputs]
    results = []
    for output in job.outputs:
        try:
            guide, guide_source = load_guide_source(output.guide_file)
            inputs = Inputs(guide, output.guide_file, school, source.path, guide_source, yaml_source)
            with recording_reads() as reads:
                pdf = build_pdf(inputs, output.layout, job.page_size, job.options)
            reads = dict(sorted(reads.items()))
            digest, written = hashlib.sha256(pdf).hexdigest(), []

            def record(temporary: Path, output=output, digest=digest, written=written, reads=reads) -> None:
                size, mtime_ns = stat_of(temporary)  # a rename keeps both
                journal_record(job.out_dir, output.relative, entry(output.inputs_hash, digest, size, mtime_ns, reads))
                written.append((size, mtime_ns))

            write_atomic(Path(job.out_dir) / output.relative, pdf, before_rename=record)
            results.append(Result(output.relative, True, "", digest, *written[0], reads=reads))
        except GuidebuilderError as exc:
            results.append(Result(output.relative, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one school's crash must not stop the batch
            results.append(Result(output.relative, False, str(internal_error(exc))))
    return results


def run_jobs(jobs: list[Job], workers: int, on_done) -> None:
    """Run `jobs`, calling on_done(job, results) as each finishes. A worker that dies costs
    only the schools it was building: the rest go to a fresh pool."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            on_done(job, build_job(job))
        return
    pending = list(jobs)
    while pending:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker, initargs=(os.getpid(),),
                                   mp_context=_worker_context())
        running = {}
        queue, pending = pending, []
        try:
            while queue or running:
                while queue and len(running) < workers * 2:
                    job = queue.pop(0)
                    running[pool.submit(build_job, job)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    results = future.result()  # raises if its worker died: the job stays in `running`
                    on_done(running.pop(future), results)
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)  # no worker writes on while we settle
            for future, job in running.items():
                if future.done() and not future.exception():
                    on_done(job, future.result())
                else:
                    on_done(job, [Result(o.relative, False, "the worker building it stopped unexpectedly")
                                  for o in job.outputs])
            pending = queue
        except KeyboardInterrupt:
            # Workers ignore Ctrl-C and finish the school in hand: record those, drop the rest.
            pool.shutdown(wait=True, cancel_futures=True)
            for future, job in running.items():
                if future.done() and not future.cancelled() and not future.exception():
                    on_done(job, future.result())
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _worker_context():
    """Forked workers on Linux (cheap, and their parent is this process, which _die_with_parent
    relies on); the platform's default elsewhere. Python 3.14 made forkserver the Linux default."""
    import multiprocessing
    import sys

    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _quiet_worker(parent: int) -> None:
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and saves the manifest
    # SIGTERM stops a worker (the pool's own shutdown of a broken pool relies on it), cleanly: the
    # handler the parent installed (cli.stop_on_sigterm) is replaced by one for workers.
    signal.signal(signal.SIGTERM, _stop_worker)
    # A worker builds many documents: it collects cycles to keep its memory flat, but less often,
    # and (after its first school) not through the modules and caches it has loaded, which
    # never die. Measured over 100 generated schools: collections 4.0 -> 1.5 ms per pair.
    gc.set_threshold(10_000, 10, 10)
    gc.enable()
    global _freeze_after_first_job
    _freeze_after_first_job = True
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """A worker whose batch was killed stops too, instead of writing on as an orphan."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def remove_stale_temporaries(out_dir: Path, older_than: float = 3600.0) -> None:
    """Temporary files of a run killed mid-write. A writer holds a lock on its temporary file
    until the rename (write.lock_while_writing), so one that can be locked has no writer left;
    where locks do not work, only those older than an hour go."""
    now = time.time()
    out_dir = Path(out_dir)
    for temp in [*out_dir.glob("*/.*.pdf.*.tmp"), *out_dir.glob(".manifest.json.*.tmp")]:
        try:
            if _abandoned(temp) or now - temp.stat().st_mtime > older_than:
                temp.unlink()
        except OSError:
            pass


def _abandoned(temp: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return False
    with open(temp, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a live writer (or locks do not work here)
            return False
    return True


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


MAX_WORKERS_PER_CPU = 2  # rendering is CPU-bound: more workers only cost memory and start-up time


def worker_count(requested: int, jobs: int) -> int:
    """Workers for `jobs` schools to build: as requested (default one per CPU), but never more
    than there are schools to build, nor more than MAX_WORKERS_PER_CPU per CPU."""
    cpus = default_workers()
    return max(1, min(requested or cpus, jobs, cpus * MAX_WORKERS_PER_CPU))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        k = n = 0
    if not (1 <= k <= n):
        raise InputError.at("--shard", None, "", f'expected K/N with 1 <= K <= N, e.g. "2/8", got "{text}"')
    return k, n


def refuse_overwrites(options: BatchOptions, sources, guide_files, jobs, order, manifest: Manifest) -> None:
    """Nothing this run writes may replace a file it reads, nor a file guidebuilder did not write."""
    from guidebuilder.pdf.outputs import Inputs, check_targets, layout_role, target_label

    inputs = Inputs()
    if options.roster is not None:
        inputs.add(options.roster, "the roster this run reads")
    for guide_file in guide_files:
        inputs.add(guide_file, "a guide this run reads")
    for source in sources:
        if source.data is None:
            inputs.add(source.path, "a school file this run reads")
        for path, what in source.assets:
            inputs.add(path, what)
    for folder in locations.layout_dirs():
        inputs.add_tree(folder, layout_role)
    for record in manifest.entries.values():
        for path in (record.get("reads") or {}) if isinstance(record, dict) else ():
            inputs.add(path, "an image a layout reads in this run")
    out_dir = Path(options.out_dir)
    advice = "choose another --out"
    targets = [(manifest.path, target_label(manifest.path), advice, False),
               (manifest.journal_path, target_label(manifest.journal_path), advice, True)]
    for job in jobs:
        for output in job.outputs:
            path = out_dir / output.relative
            targets.append((path, target_label(path), advice, manifest.describes(output.relative)))
    check_targets(targets, inputs)
    if options.combine:
        for relative in order:
            inputs.add(out_dir / relative, "one of the documents this print file is made of")
        inputs.add(manifest.path, "the manifest this run writes")
        check_targets([(options.combine, f"--combine {target_label(options.combine)}",
                        "choose another file name", False)], inputs)


class Clock:
    def __init__(self):
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


@dataclass
class BatchOptions:
    schools: list[str]
    roster: Path | None
    guides: list[str]
    layouts: list[str]
    out_dir: Path
    page_size: str | None = None
    jobs: int = 0
    force: bool = False
    shard: str | None = None
    combine: Path | None = None
    print_options: PrintOptions | None = None


@dataclass
class Summary:
    built: int = 0
    fresh: int = 0
    failures: list = field(default_factory=list)     # (label, message)
    seconds: float = 0.0
    combined: Path | None = None

    @property
    def rate(self) -> float:
        return self.built / self.seconds if self.seconds else 0.0


def run_batch(options: BatchOptions, reporter) -> Summary:
    """Gather, plan, build; `reporter` hears start(total), done(job, results), every warning
    (this process's and the workers') and saves."""
    with collecting_notes() as notes:
        return _run_batch(options, reporter, notes)


def _run_batch(options: BatchOptions, reporter, notes: list) -> Summary:
    from guidebuilder.pipeline import LAYOUTS

    clock = Clock()
    shard = parse_shard(options.shard)
    guide_files = [locations.find_guide(g) for g in (options.guides or [None])]
    layouts = list(dict.fromkeys(options.layouts or LAYOUTS))
    for layout in layouts:
        locations.find_layout(layout)
    for guide_file in guide_files:
        from guidebuilder.load import load_guide

        load_guide(guide_file)  # a bad guide is bad input for the whole run
    gathered = gather_schools(options.schools, options.roster)
    for note in locations.sample_notes([s.path for s in gathered if s.data is None], guide_files,
                                       guide_named=bool(options.guides)):
        reporter.note(note)
    sources = [s for s in gathered if in_shard(s.slug, shard)]
    manifest = Manifest(options.out_dir)
    jobs, fresh, rejected = plan(sources, guide_files, layouts, options.out_dir, options.page_size, manifest,
                                 options.force, options.print_options)
    summary = Summary(fresh=len(fresh), failures=[(source.label, message) for source, message in rejected])
    ids = {g: _guide_id(g) for g in guide_files}
    order = list(dict.fromkeys(f"{s.slug}/{ids[g]}-{layout}.pdf" for s in sources for g in guide_files
                               for layout in layouts))
    refuse_overwrites(options, sources, guide_files, jobs, order, manifest)  # before anything is written
    remove_stale_temporaries(options.out_dir)
    for problem in notes:
        reporter.warning(problem)
    reporter.start(sum(len(j.outputs) for j in jobs), len(fresh))

    def done(job: Job, results: list[Result]) -> None:
        inputs = {o.relative: o.inputs_hash for o in job.outputs}
        for result in results:
            if result.ok:
                summary.built += 1
                manifest.record(result.relative, inputs[result.relative], result.pdf_hash, result.size,
                                result.mtime_ns, journaled=True, reads=result.reads)
            else:
                manifest.forget(result.relative)
        for problem in [*notes, *(n for r in results for n in r.notes)]:
            reporter.warning(problem)
        failed = [r for r in results if not r.ok]
        if failed:
            summary.failures.append((job.school.label, failed[0].message))
        reporter.done(job, results)

    try:
        run_jobs(jobs, worker_count(options.jobs, len(jobs)), done)
    finally:
        if jobs or manifest.replayed or not manifest.path.exists():  # replayed: a killed run's records
            manifest.save()
        manifest.close()
    if options.combine:
        present = [options.out_dir / rel for rel in order if (options.out_dir / rel).is_file()
                   and rel in manifest.entries]
        if present:
            from guidebuilder.pdf.printfile import combine_pdfs

            combine_pdfs(present, options.combine)
            summary.combined = options.combine
    summary.seconds = clock.seconds
    return summary
