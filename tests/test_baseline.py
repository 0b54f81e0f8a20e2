"""scan --baseline: findings marked new / unchanged / absent against an earlier SARIF or JSON report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import ci_app
from tests.conftest import write_app
from tests.test_ci_formats import parse_command
from tests.test_cli import invoke
from tests.test_sarif import schema_errors


def _write(app: Path, files: dict[str, str]) -> Path:
    return write_app(app, files)


def _report(app: Path, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"baseline.{fmt}"
    run = invoke("scan", str(app), "--no-config", "--format", fmt, "-o", str(out), "--source-root", str(app))
    assert run.exit_code == 1, run.output
    return out


def _states(doc: dict) -> dict[tuple, str]:
    return {(f["rule"], f["path"], f["line"]): f["baselineState"] for f in doc["findings"]}


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_change_against_base_report(fmt: str, tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.BASE)
    baseline = _report(app, fmt, tmp_path)
    _write(app, ci_app.CHANGE)
    run = invoke("scan", str(app), "--no-config", "--format", "json", "--baseline", str(baseline),
                 "--source-root", str(app))
    assert run.exit_code == 1
    doc = json.loads(run.output)
    assert _states(doc) == ci_app.CHANGE_FINDINGS
    assert doc["absent"] == []
    assert doc["summary"] == {"error": 2, "warning": 2, "new": 3, "unchanged": 1, "absent": 0}


def test_only_new_findings_count_for_fail_on(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.CHANGE)
    baseline = _report(app, "sarif", tmp_path)  # the change itself: nothing is new
    for fail_on in ("error", "warning"):
        run = invoke("scan", str(app), "--no-config", "--baseline", str(baseline), "--fail-on", fail_on,
                     "--source-root", str(app))
        assert run.exit_code == 0, run.output
        assert "against the baseline: 0 new, 3 unchanged, 0 absent" in run.output  # nor a permission added
    # the same baseline with a new leak: exit 1 again
    _write(app, {"src/index.js": ci_app.CHANGE["src/index.js"].replace(
        "const resolver", "const boardCache = {};\nexport const board = async (event) => {\n"
        "  const res = await api.asApp().requestJira(route`/rest/agile/1.0/board/${event.boardId}`);\n"
        "  boardCache[event.boardId] = await res.json();\n  return boardCache[event.boardId];\n};\n\nconst resolver")})
    run = invoke("scan", str(app), "--no-config", "--baseline", str(baseline), "--source-root", str(app))
    assert "[new]" in run.output


def test_line_moves_and_edits_elsewhere_keep_findings_unchanged(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.CHANGE)
    baseline = _report(app, "json", tmp_path)
    code = ci_app.CHANGE["src/index.js"]
    moved = ("/**\n * Sprint notes panel: resolvers for the issue and project views.\n */\n"
             + code.replace("fields: FIELDS };", "fields: FIELDS, at: Date.now() };")  # an edit far below
             .replace("const FIELDS = ['summary', 'status'];", "const FIELDS = ['summary', 'status', 'assignee'];")
             + "\n// end of resolvers\n")
    manifest = ci_app.CHANGE["manifest.yml"].replace("      title: Sprint notes\n",
                                                     "      title: Sprint notes\n      # shown on every issue\n")
    _write(app, {"src/index.js": moved, "manifest.yml": manifest})
    run = invoke("scan", str(app), "--no-config", "--format", "json", "--baseline", str(baseline),
                 "--source-root", str(app))
    doc = json.loads(run.output)
    assert run.exit_code == 0, run.output
    assert sorted(line for _, _, line in _states(doc)) == [11, 19, 22]  # every finding moved
    assert set(_states(doc).values()) == {"unchanged"} and doc["absent"] == []
    # by their line hashes, not only by their messages
    before = sorted(f["fingerprint"] for f in json.loads(baseline.read_text())["findings"])
    assert sorted(f["fingerprint"] for f in doc["findings"]) == before


def test_edit_right_after_the_line_keeps_the_finding_by_its_message(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.CHANGE)
    baseline = _report(app, "json", tmp_path)
    code = ci_app.CHANGE["src/index.js"]
    edited = (code.replace("const watchersByIssue = {};\n\n", "const watchersByIssue = {};\n// by issue key\n")  # line 9
              .replace("const projectCache = new Map();", "const projectsByKey = new Map();")  # a renamed leak
              .replace("projectCache.", "projectsByKey."))
    _write(app, {"src/index.js": edited})
    doc = json.loads(invoke("scan", str(app), "--no-config", "--format", "json", "--baseline", str(baseline),
                            "--source-root", str(app)).output)
    assert _states(doc) == {("tenant/global-state", "src/index.js", 8): "unchanged",
                            ("tenant/global-state", "src/index.js", 19): "new",
                            ("scope/unused", "manifest.yml", 18): "unchanged"}
    assert [(a["line"], "projectCache" in a["message"]) for a in doc["absent"]] == [(19, True)]
    hashes = {f["line"]: f["fingerprint"] for f in json.loads(baseline.read_text())["findings"]}
    assert hashes[8] != next(f["fingerprint"] for f in doc["findings"] if f["line"] == 8)  # matched by message


def test_fixed_findings_are_absent_in_every_format(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.CHANGE)
    baseline = _report(app, "sarif", tmp_path)
    _write(app, ci_app.BASE)  # the project leak and the unused scope are gone
    args = ["scan", str(app), "--no-config", "--baseline", str(baseline), "--source-root", str(app)]
    doc = json.loads(invoke(*args, "--format", "json").output)
    assert _states(doc) == {("tenant/global-state", "src/index.js", 5): "unchanged"}
    assert {(a["rule"], a["path"], a["line"], a["baselineState"]) for a in doc["absent"]} == {
        ("tenant/global-state", "src/index.js", 19, "absent"), ("scope/unused", "manifest.yml", 18, "absent")}
    log = json.loads(invoke(*args, "--format", "sarif").output)
    results = log["runs"][0]["results"]
    assert sorted(r["baselineState"] for r in results) == ["absent", "absent", "unchanged"]
    absent = next(r for r in results if r["baselineState"] == "absent" and r["ruleId"] == "scope/unused")
    assert absent["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "manifest.yml"
    assert absent["partialFingerprints"]["primaryLocationLineHash"]
    assert schema_errors(log) == []
    text = invoke(*args).output
    assert "absent (in the baseline, gone now)" in text and "0 new, 1 unchanged, 2 absent" in text
    assert invoke(*args).exit_code == 0


def test_ci_formats_report_only_new_findings(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.BASE)
    baseline = _report(app, "json", tmp_path)
    _write(app, ci_app.CHANGE)
    args = ["scan", str(app), "--no-config", "--baseline", str(baseline), "--source-root", str(app)]
    annotations = [parse_command(line) for line in invoke(*args, "--format", "github").output.splitlines()]
    assert sorted((p["title"], p["file"], p["line"]) for _, p, _ in annotations) == [
        ("forge-audit consent/scope-change", "manifest.yml", "18"), ("forge-audit scope/unused", "manifest.yml", "18"),
        ("forge-audit tenant/global-state", "src/index.js", "19")]
    root = ET.fromstring(invoke(*args, "--format", "junit").output)
    case = next(c for c in root.iter("testcase") if c.get("name") == "tenant/global-state")
    assert case.find("failure").get("message") == "1 finding of tenant/global-state"
    assert "src/index.js:19:7" in case.find("failure").text
    assert "src/index.js:8:7" in case.find("system-out").text and "[in the baseline]" in case.find("system-out").text


@pytest.mark.parametrize("content, message", [
    (None, "cannot read baseline"),
    ("{not json", "cannot read baseline"),
    ('{"tool": "semgrep", "results": []}', "neither a SARIF nor a JSON report of forge-audit"),
    ('{"runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": []}]}', "run of 'CodeQL', not forge-audit"),
    ('{"tool": "forge-audit", "findings": [{"rule": "scope/unused", "level": "warning", "message": "m", '
     '"path": "manifest.yml", "line": 3}]}', "has no primaryLocationLineHash"),
    ('{"tool": "forge-audit", "findings": {}}', "not a well-formed forge-audit report"),
    ('{"runs": [{"tool": {"driver": {"name": "forge-audit"}}, "results": [{"ruleId": "scope/unused", '
     '"message": {"text": "m"}, "locations": []}]}]}', "not a well-formed forge-audit report"),
    ('{"runs": [{"tool": {"driver": {"name": "forge-audit"}}, "results": [], "properties": '
     '{"manifestPermissions": [1]}}]}', "not a well-formed forge-audit report"),
])
def test_baseline_that_does_not_load_exits_2(content: str | None, message: str, tmp_path: Path) -> None:
    app = _write(tmp_path / "app", ci_app.BASE)
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content)
    run = invoke("scan", str(app), "--no-config", "--baseline", str(baseline))
    assert run.exit_code == 2
    assert message in run.output and "tenant/global-state" not in run.output
