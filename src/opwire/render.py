"""Human output: the one place that formats lines and the summary, and the only user of rich.

Every line passes through the run's Redactor before it reaches a terminal or the `--log` file,
so a secret cannot be printed even by a bug upstream.
"""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console

from opwire.config import Redactor
from opwire.events import NoteLine, RequestLine
from opwire.results import IntegrationResult, Outcome, RunResult, Status

STYLES = {
    Status.PASS: "green",
    Status.UNCONFIRMED: "yellow",
    Status.FAIL: "red",
    Status.BLOCKED: "magenta",
}


def event_text(event: RequestLine | NoteLine) -> str:
    if isinstance(event, NoteLine):
        return f"{event.integration:<10} note   {event.text}"
    line = f"{event.integration:<10} {event.method:<6} {event.url}  {event.outcome}  {event.ms} ms"
    return f"{line}  ({event.note})" if event.note else line


def summary_lines(run: RunResult) -> list[str]:
    lines = [
        "",
        f"{'integration':<12}{'mode':<6}{'status':<13}{'requests':>8}  {'time':>7}  diagnosis",
    ]
    for result in run.integrations:
        code = result.diagnosis.code if result.diagnosis else ""
        if result.status is Status.BLOCKED and result.diagnosis and result.diagnosis.detail:
            code = f"{code} ({result.diagnosis.detail})"  # the ticket, in the line
        lines.append(
            f"{result.slug:<12}{'real' if result.real else 'mock':<6}{result.status.value:<13}"
            f"{len(result.requests):>8}  {result.elapsed_s:>5.2f} s  {code}"
        )
    for result in run.integrations:
        lines.extend(_explain(result.slug, result))
    lines.extend(f"note: {note}" for note in run.notes)
    counts = ", ".join(
        f"{sum(r.status is s for r in run.integrations)} {s.value}"
        for s in Status
        if any(r.status is s for r in run.integrations)
    )
    lines.append("")
    provenance = f" — {run.provenance}" if run.provenance else ""
    lines.append(
        f"overall: {run.overall.value}{provenance} ({counts})  run {run.run_id}  mode {run.mode}  "
        f"{run.elapsed_s:.2f} s  exit {run.exit_code}"
    )
    return lines


def _explain(slug: str, result: IntegrationResult) -> list[str]:
    diagnosis = result.diagnosis
    if diagnosis is None:
        return [
            f"{slug}: {step.detail}" for step in result.steps if step.outcome is Outcome.SKIPPED
        ]
    lines = [f"{slug} {result.status.value}: {diagnosis.code}: {diagnosis.cause}"]
    if diagnosis.detail:
        lines.append(f"  observed: {diagnosis.detail}")
    lines.append(f"  fix: {diagnosis.fix}")
    if diagnosis.runbook:
        lines.append(f"  runbook: {diagnosis.runbook}")
    return lines


class Printer:
    """Writes human lines to a stream (coloured only on a terminal, never with NO_COLOR) and,
    verbatim and uncoloured, to the --log file."""

    def __init__(
        self, redact: Redactor, *, stream: IO[str] | None = None, log: IO[str] | None = None
    ) -> None:
        self.redact = redact
        self.console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
        self.log = log

    def line(self, text: str, style: str | None = None) -> None:
        text = self.redact(text)
        self.console.print(text, style=style, markup=False)
        if self.log is not None:
            self.log.write(text + "\n")
            self.log.flush()

    def event(self, event: RequestLine | NoteLine) -> None:
        self.line(event_text(event), "dim" if isinstance(event, NoteLine) else None)

    def summary(self, run: RunResult) -> None:
        for text in summary_lines(run):
            self.line(text, _style_for(text))


def _style_for(text: str) -> str | None:
    for status, style in STYLES.items():
        if f" {status.value} " in f" {text} ":
            return style
    if text.startswith("overall: GREEN"):
        return "bold green"
    if text.startswith("overall: HOLD"):
        return "bold red"
    return None
