"""Machine-readable report in forge-audit's own simple JSON shape."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from auditor import __version__
from auditor.baseline import SNAPSHOT, Known, permission_snapshot
from auditor.engine import ScanResult
from auditor.model import NEW, UNCHANGED, Finding, Location
from auditor.report.bounded import reported_properties
from auditor.report.fingerprint import Fingerprints
from auditor.report.paths import relative_path


def _path(path: Path, root: Path) -> str:
    return relative_path(path, root) or str(path)


def _location(loc: Location, root: Path) -> dict:
    out = {"path": _path(loc.path, root)}
    if loc.region is not None:
        r = loc.region
        out.update(line=r.start_line, column=r.start_column, endLine=r.end_line, endColumn=r.end_column)
    if loc.message:
        out["message"] = loc.message
    return out


def render(result: ScanResult, show_suppressed: bool = False, full_lists: bool = False) -> str:
    """``full_lists``: every entry point in finding properties, not the first MAX_LISTED (``scan --verbose``)."""
    root = result.source_root
    findings = result.reported(show_suppressed)
    hashes = Fingerprints(result.contents)
    doc = {
        "tool": "forge-audit",
        "version": __version__,
        "sourceRoot": str(root),
        "executionSuccessful": result.successful,
        "apps": [_path(app, root) for app in result.apps],
        "findings": [
            {
                "rule": f.rule_id,
                "level": f.level,
                "message": f.message,
                **_location(f.location, root),
                "related": [_location(loc, root) for loc in f.related],
                "codeFlows": [[_location(step, root) for step in flow] for flow in f.code_flows],
                "properties": reported_properties(f.properties, full_lists),
                "suppressed": {"reason": f.suppression.reason} if f.suppression else None,
                "fingerprint": hashes.line_hash(f.location),
                **({"baselineState": f.baseline_state} if f.baseline_state else {}),
            }
            for f in findings
        ],
        **({"absent": [_absent(known, root) for known in result.absent]} if result.absent is not None else {}),
        SNAPSHOT: permission_snapshot(result),
        "notifications": [
            {"level": n.level, "message": n.message, "blocking": n.blocking,
             **(_location(Location(n.path, n.region), root) if n.path else {})}
            for n in result.notifications
        ],
        "summary": _summary(result, findings),
    }
    # one line, as the SARIF report: indentation was a third of a large report (`jq .` shows it indented)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _absent(known: Known, root: Path) -> dict:
    return {"rule": known.rule_id, "level": known.level, "message": known.message,
            **_location(known.location(root), root), "fingerprint": known.line_hash, "baselineState": "absent"}


def _summary(result: ScanResult, findings: list[Finding]) -> dict:
    out = dict(Counter(f.level for f in findings if f.suppression is None))
    if result.absent is not None:
        states = Counter(f.baseline_state for f in findings if f.suppression is None)
        out.update(new=states[NEW], unchanged=states[UNCHANGED], absent=len(result.absent))
    return out
