"""GitHub Actions workflow commands: one ``::error file=…,line=…::message`` annotation per finding.

The runner reads every output line starting with ``::`` as a command, so what the repository controls (messages,
file names) is escaped as the runner unescapes it: ``%``, CR and LF in the message, and also ``,`` and ``:`` in
properties. A message can then neither end its annotation early nor start a command line of its own. Against a
baseline only new findings are annotated (a pull request shows what it adds); notifications of an incomplete
scan that make the scan incomplete are annotated too.
"""

from __future__ import annotations

from pathlib import Path

from auditor.engine import ScanResult
from auditor.model import UNCHANGED, Location
from auditor.report.paths import relative_path

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, loc: Location | None, root: Path, title: str | None = None) -> str:
    props: list[tuple[str, str]] = []
    if loc is not None:
        props.append(("file", relative_path(loc.path, root) or str(loc.path)))
        r = loc.region
        if r is not None:
            props += [("line", str(r.start_line)), ("col", str(r.start_column))]
            if r.end_line is not None:
                props.append(("endLine", str(r.end_line)))
                if r.end_column is not None and r.end_line == r.start_line:
                    props.append(("endColumn", str(r.end_column)))
    if title:
        props.append(("title", title))
    head = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[level]}{' ' + head if head else ''}::{escape_data(message)}"


def render(result: ScanResult, show_suppressed: bool = False) -> str:
    root = result.source_root
    lines = []
    for f in result.reported(show_suppressed):
        if f.baseline_state == UNCHANGED or f.suppression is not None:
            continue
        lines.append(annotation(f.level, f.message, f.location, root, f"forge-audit {f.rule_id}"))
    for note in result.notifications:
        if note.blocking:
            where = Location(note.path, note.region) if note.path else None
            lines.append(annotation(note.level, f"forge-audit could not analyse this fully: {note.message}",
                                    where, root))
    return "".join(line + "\n" for line in lines)
