"""JUnit XML for CI test reports (GitLab, Bitbucket Pipelines, Jenkins): one test case per rule and app.

A rule's test case fails when the rule reports a finding in the app (against a baseline: a new one); the
failure lists the findings, one per line. Findings that were already in the baseline, and suppressed ones shown
with --show-suppressed, go to the case's ``system-out``. An app whose analysis is incomplete gets an extra case,
``forge-audit/analysis``, with an ``error`` per blocking notification.

XML 1.0 cannot carry most control characters even escaped; text from the repository has them replaced by
visible escapes so the report stays well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from auditor.engine import ScanResult
from auditor.model import LEVEL_RANK, UNCHANGED, Finding, Location
from auditor.report.paths import app_of, relative_path

ANALYSIS_CASE = "forge-audit/analysis"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)


def _line(loc: Location, root: Path, level: str, rule_message: str) -> str:
    where = relative_path(loc.path, root) or str(loc.path)
    if loc.region is not None:
        where += f":{loc.region.start_line}:{loc.region.start_column}"
    return f"{where}: {level}: {rule_message}"


def render(result: ScanResult, show_suppressed: bool = False) -> str:
    root = result.source_root
    by_app: dict[Path | None, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in result.reported(show_suppressed):
        by_app[app_of(f.location.path, result.apps)][f.rule_id].append(f)
    blocking: dict[Path | None, list] = defaultdict(list)
    for note in result.incomplete:
        blocking[app_of(note.path, result.apps) if note.path else None].append(note)

    suites = ET.Element("testsuites", name="forge-audit")
    apps: list[Path | None] = list(result.apps) + [None] * bool(by_app.get(None) or blocking.get(None))
    for app in apps:
        name = (relative_path(app, root) or str(app)) if app is not None else "(outside any app)"
        suite = ET.SubElement(suites, "testsuite", name=xml_text(name))
        for rule in result.rules:
            case = ET.SubElement(suite, "testcase", classname=xml_text(name), name=rule.id)
            failing = [f for f in by_app[app][rule.id] if f.suppression is None and f.baseline_state != UNCHANGED]
            known = [f for f in by_app[app][rule.id] if f not in failing]
            if failing:
                worst = max((f.level for f in failing), key=LEVEL_RANK.__getitem__)
                failure = ET.SubElement(case, "failure", type=worst,
                                        message=f"{len(failing)} finding{'s' * (len(failing) != 1)} of {rule.id}")
                failure.text = xml_text("".join(_line(f.location, root, f.level, f.message) + "\n" for f in failing))
            if known:
                ET.SubElement(case, "system-out").text = xml_text("".join(
                    _line(f.location, root, f.level, f.message)
                    + (" [suppressed]" if f.suppression else " [in the baseline]") + "\n" for f in known))
        if blocking.get(app):
            case = ET.SubElement(suite, "testcase", classname=xml_text(name), name=ANALYSIS_CASE)
            for note in blocking[app]:
                where = Location(note.path, note.region) if note.path else None
                text = _line(where, root, note.level, note.message) if where else note.message
                ET.SubElement(case, "error", type="incomplete", message="incomplete scan").text = xml_text(text)
        _count(suite)
    _count(suites)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _count(element: ET.Element) -> None:
    """tests/failures/errors attributes, summed over the test cases below."""
    cases = list(element.iter("testcase"))
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
