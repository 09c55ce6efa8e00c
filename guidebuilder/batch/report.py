"""What `guidebuilder batch` prints: a progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys

import click


class Reporter:
    def __init__(self, quiet: bool, verbose: bool, out_dir, warn=None):
        self.quiet, self.verbose, self.out_dir = quiet, verbose, out_dir
        self.bar = None
        self.tty = sys.stderr.isatty()
        self._warn = warn or (lambda problem: click.secho(f"warning: {problem}", fg="yellow", err=True))
        self._warned: set[str] = set()

    def warning(self, problem) -> None:
        """A note of a build (the parent's or a worker's), said once however many schools share it."""
        if str(problem) not in self._warned:
            self._warned.add(str(problem))
            self._warn(problem)

    def note(self, message: str) -> None:
        """What the run picked for the user (built-in samples standing in for her content)."""
        if not self.quiet:
            click.echo(f"note: {message}", err=True)

    def start(self, total: int, fresh: int) -> None:
        if self.quiet:
            return
        click.echo(f"{total} document(s) to build, {fresh} up to date", err=True)
        if self.tty and total:
            self.bar = click.progressbar(length=total, label="building", file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def done(self, job, results) -> None:
        if self.bar is not None:
            self.bar.update(len(results))
        for result in results:
            if not result.ok:
                if not self.quiet and self.bar is None:
                    click.secho(f"failed {job.school.label}: {result.message.splitlines()[0]}", fg="red", err=True)
                break
            if self.verbose or (not self.quiet and self.bar is None):
                click.echo(f"wrote  {self.out_dir / result.relative}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def summary(self, summary) -> None:
        failed = len(summary.failures)
        click.echo(f"built {summary.built}, up to date {summary.fresh}, failed {failed} school(s) in "
                   f"{summary.seconds:.1f} s ({summary.rate:.0f} documents/s)", err=True)
        if summary.combined:
            click.echo(f"wrote  {summary.combined} (all documents, for printing)")
        if failed:
            click.secho("failures:", fg="red", err=True)
            for label, message in summary.failures:
                lines = message.splitlines()
                click.secho(f"  {label}: {lines[0]}", fg="red", err=True)
                for line in lines[1:]:
                    click.secho(f"    {line}", fg="red", err=True)
