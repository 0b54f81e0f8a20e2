"""Human-readable report: one line per finding, the source line with a caret, a summary.

Everything quoted from the scanned repository (source lines, file names, messages quoting code, notification
messages, suppression reasons) goes through ``printable`` (auditor.report.terminal).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from auditor.engine import ScanResult
from auditor.model import NEW, UNCHANGED, Finding, Location
from auditor.report.paths import display_path
from auditor.report.terminal import printable

COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}
MAX_SNIPPET = 120


class _Lines:
    """Source lines of the bytes the scan analysed (ScanResult.contents), split once per file."""

    def __init__(self, contents: dict[Path, bytes]):
        self._contents = contents
        self._cache: dict[Path, list[bytes]] = {}

    def get(self, path: Path, line: int) -> str | None:
        if path not in self._cache:
            # Only LF ends a line, as for tree-sitter: str.splitlines would also split at \x1c, \u2028, ...
            data = self._contents.get(path)
            self._cache[path] = data.split(b"\n") if data is not None else []
        lines = self._cache[path]
        return lines[line - 1].rstrip(b"\r").decode("utf-8", "replace") if 0 < line <= len(lines) else None


def _where(loc: Location) -> str:
    region = loc.region
    suffix = f":{region.start_line}:{region.start_column}" if region else ""
    return printable(display_path(loc.path)) + suffix


def _near(loc: Location, home: Location) -> str:
    """A related location, shortened to `line L:C` when it is in the finding's own file."""
    if loc.path == home.path and loc.region is not None:
        return f"line {loc.region.start_line}:{loc.region.start_column}"
    return _where(loc)


def _snippet(loc: Location, lines: _Lines) -> list[str]:
    region = loc.region
    if region is None:
        return []
    source = lines.get(loc.path, region.start_line)
    if source is None:
        return []
    start = region.start_column - 1
    width = 1
    if region.end_line == region.start_line and region.end_column:
        width = max(1, region.end_column - region.start_column)
    offset = 0
    if len(source) > MAX_SNIPPET:  # minified bundles: show a window around the column
        offset = max(0, start - 40)
        source = ("…" if offset else "") + source[offset:offset + MAX_SNIPPET] + "…"
        start = start - offset + (1 if offset else 0)
    # Tabs become one space each (harmless, and the caret stays aligned); other escapes widen the
    # line, so the caret is placed by the escaped lengths.
    source = source.replace("\t", " ")
    width = len(printable(source[start:start + width]))
    start = len(printable(source[:start]))
    source = printable(source)
    width = min(width, max(1, len(source) - start))
    gutter = f"{region.start_line:>6} | "
    return [gutter + source.rstrip(), " " * (len(gutter) - 2) + "| " + " " * start + "^" * min(width, 80)]


def render(result: ScanResult, show_suppressed: bool = False) -> str:
    lines = _Lines(result.contents)
    out: list[str] = []
    findings = result.reported(show_suppressed)
    for finding in findings:
        out.extend(_finding(finding, lines))
    if result.absent:
        out.append("")
        out.append(click.style("absent (in the baseline, gone now)", bold=True))
        for known in result.absent:
            out.append(f"  {_where(known.location(result.source_root))}  {known.level}  {known.rule_id}  "
                       f"{printable(known.message)}")
    if result.notifications:
        out.append("")
        out.append(click.style("notifications", bold=True))
        for note in result.notifications:
            where = _where(Location(note.path, note.region)) + ": " if note.path else ""
            out.append(f"  {note.level}: {where}{printable(note.message)}")
    out.append("")
    out.append(_summary(result, findings))
    return "\n".join(out) + "\n"


def _finding(finding: Finding, lines: _Lines) -> list[str]:
    level = click.style(finding.level, fg=COLOURS[finding.level], bold=True)
    head = f"{_where(finding.location)}  {level}  {click.style(finding.rule_id, bold=True)}  {printable(finding.message)}"
    if finding.suppression is not None:
        head += click.style(f"  [suppressed: {printable(finding.suppression.reason)}]", dim=True)
    elif finding.baseline_state is not None:
        head += click.style(f"  [{finding.baseline_state}]", bold=finding.baseline_state == NEW,
                            dim=finding.baseline_state != NEW)
    out = [head] + _snippet(finding.location, lines)
    home = finding.location
    for loc in finding.related:
        out.append(f"       {click.style('related', dim=True)} {_near(loc, home)}"
                   + (f": {printable(loc.message)}" if loc.message else ""))
    for flow in finding.code_flows:
        steps = " -> ".join(_near(step, home) + (f" ({printable(step.message)})" if step.message else "")
                            for step in flow)
        out.append(f"       {click.style('flow', dim=True)} {steps}")
    replayed = finding.properties.get("confirmation")
    if isinstance(replayed, dict) and replayed.get("outcome"):
        out.append(f"       {click.style('replay', dim=True)} {_replay_line(replayed)}")
    return out


def _replay_line(replayed: dict) -> str:
    """Which outcome the replay (--confirm) reached, and why when it did not confirm."""
    outcome = replayed["outcome"]
    if outcome == "confirmed" and replayed.get("polluted"):
        return (f"{click.style('confirmed', bold=True)}: tenant A's input gave Object.prototype "
                f"'{printable(str(replayed['polluted']))}', still there in tenant B's invocation of "
                f"{printable(str(replayed.get('entry')))}")
    if outcome == "confirmed":
        return (f"{click.style('confirmed', bold=True)}: tenant A's data reached tenant B "
                f"({printable(str(replayed.get('writer')))} then {printable(str(replayed.get('reader')))})")
    said = "influenced, not confirmed" if outcome == "influenced" else outcome.replace("-", " ")
    return f"{click.style(said, bold=outcome == 'influenced')}: {printable(str(replayed.get('reason', '')))}"


def _summary(result: ScanResult, findings: list[Finding]) -> str:
    counts = Counter(f.level for f in findings if f.suppression is None)
    suppressed = sum(1 for f in result.findings if f.suppression is not None)
    total = sum(counts.values())
    parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in ("error", "warning", "note")
             if counts[level]]
    text = f"{total} finding{'s' if total != 1 else ''}"
    if parts:
        text += " (" + ", ".join(parts) + ")"
    text += f" in {len(result.apps)} app{'s' if len(result.apps) != 1 else ''}"
    if suppressed:
        text += f"; {suppressed} suppressed"
    if result.absent is not None:
        states = Counter(f.baseline_state for f in findings if f.suppression is None)
        text += (f"; against the baseline: {states[NEW]} new, {states[UNCHANGED]} unchanged, "
                 f"{len(result.absent)} absent")
    failures = sum(1 for n in result.notifications if n.failure)
    if failures:
        text += f"; {failures} problem(s) prevented a complete scan (see notifications)"
    if result.incomplete:
        text += (f"\nINCOMPLETE: {len(result.incomplete)} problem(s) concern code that runs (an app's analysis "
                 "failed, or a file an entry point reaches was not fully analysed); exit code 2 unless "
                 "--allow-incomplete")
    return text
