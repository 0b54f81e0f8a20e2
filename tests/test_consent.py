"""consent/scope-change: a change that adds permissions site admins must approve, against a baseline."""

from __future__ import annotations

import json
from pathlib import Path

from tests import ci_app
from tests.conftest import write_app
from tests.test_cli import invoke
from tests.test_diff_base import commit_all, git, make_repo

RULE = "consent/scope-change"

# An app that already talks to one host; the change moves to a new API host, adds a remote and an inline-script
# content permission for its Custom UI, and drops the old host.
EGRESS_BASE = ci_app.MANIFEST.replace("    - read:jira-work\n", """\
    - read:jira-work
  external:
    fetch:
      backend:
        - https://legacy.notes-sync.example.com
""")
EGRESS_CHANGE = EGRESS_BASE.replace("        - https://legacy.notes-sync.example.com\n", """\
        - https://api.notes-sync.example.com
  content:
    scripts:
      - unsafe-inline
remotes:
  - key: notes-sync
    baseUrl: https://sync.notes-sync.example.com
""")


def consent(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == RULE]


def test_added_scope_against_the_base_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    run = invoke("scan", str(repo), "--no-config", "--format", "json", "--diff-base", "HEAD~1")
    (finding,) = consent(json.loads(run.output))
    assert (finding["path"], finding["line"], finding["level"], finding["baselineState"]) == (
        "manifest.yml", 18, "warning", "new")
    assert finding["message"] == ("this change adds permissions site admins must approve before the new version "
                                  "takes effect on their site: scope 'write:jira-work' (line 18)")
    assert finding["properties"] == {"added": [{"kind": "scope", "value": "write:jira-work", "line": 18}],
                                     "removed": []}


def test_added_egress_remote_and_content_permission_against_a_json_report(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", {**ci_app.BASE, "manifest.yml": EGRESS_BASE})
    baseline = tmp_path / "base.json"
    invoke("scan", str(app), "--no-config", "--format", "json", "-o", str(baseline), "--source-root", str(app))
    assert json.loads(baseline.read_text())["manifestPermissions"]["."] == [
        {"kind": "scope", "value": "read:jira-work"},
        {"kind": "egress fetch.backend", "value": "https://legacy.notes-sync.example.com"}]
    write_app(app, {"manifest.yml": EGRESS_CHANGE})
    run = invoke("scan", str(app), "--no-config", "--format", "json", "--baseline", str(baseline),
                 "--source-root", str(app), "--fail-on", "warning")
    assert run.exit_code == 1
    (finding,) = consent(json.loads(run.output))
    assert finding["line"] == 21
    assert finding["message"].endswith(
        "their site: egress fetch.backend 'https://api.notes-sync.example.com' (line 21); content scripts "
        "'unsafe-inline' (line 24); remote 'https://sync.notes-sync.example.com' (line 27). Removed (no approval "
        "needed): egress fetch.backend 'https://legacy.notes-sync.example.com'")
    assert [r["line"] for r in finding["related"]] == [24, 27]
    assert finding["properties"]["removed"] == [
        {"kind": "egress fetch.backend", "value": "https://legacy.notes-sync.example.com"}]
    text = invoke("scan", str(app), "--no-config", "--baseline", str(baseline), "--source-root", str(app)).output
    assert "manifest.yml:21:11  warning  consent/scope-change  this change adds permissions" in text


def test_removals_only_need_no_approval(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    write_app(repo, ci_app.BASE)  # back to one scope
    commit_all(repo, "drop write:jira-work")
    run = invoke("scan", str(repo), "--no-config", "--format", "json", "--diff-base", "HEAD~1")
    assert consent(json.loads(run.output)) == []


def test_no_snapshot_or_disabled_rule_no_finding(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", ci_app.BASE)
    baseline = tmp_path / "base.json"
    invoke("scan", str(app), "--no-config", "--format", "json", "-o", str(baseline), "--source-root", str(app))
    write_app(app, ci_app.CHANGE)
    args = ["scan", str(app), "--no-config", "--format", "json", "--source-root", str(app)]
    assert len(consent(json.loads(invoke(*args, "--baseline", str(baseline)).output))) == 1
    assert consent(json.loads(invoke(*args, "--baseline", str(baseline), "--disable", RULE).output)) == []
    doc = json.loads(baseline.read_text())
    del doc["manifestPermissions"]  # a report without the manifest's permissions
    baseline.write_text(json.dumps(doc))
    assert consent(json.loads(invoke(*args, "--baseline", str(baseline)).output)) == []
    assert consent(json.loads(invoke(*args).output)) == []  # and never without a baseline


def test_sarif_baseline_carries_the_snapshot(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    git(repo, "checkout", "-q", "HEAD~1")
    baseline = tmp_path / "base.sarif"
    invoke("scan", str(repo), "--no-config", "--format", "sarif", "-o", str(baseline))
    git(repo, "checkout", "-q", "main")
    run = invoke("scan", str(repo), "--no-config", "--format", "json", "--baseline", str(baseline))
    assert [f["properties"]["added"] for f in consent(json.loads(run.output))] == [
        [{"kind": "scope", "value": "write:jira-work", "line": 18}]]


def test_consent_finding_of_a_baseline_report_is_never_absent(tmp_path: Path) -> None:
    """A report written with --diff-base holds a consent finding relative to its own base: as a baseline later,
    that finding is not compared (it would show as absent)."""
    repo = tmp_path / "repo"
    make_repo(repo)
    report = tmp_path / "pr.json"
    invoke("scan", str(repo), "--no-config", "--format", "json", "--diff-base", "HEAD~1", "-o", str(report))
    assert len(consent(json.loads(report.read_text()))) == 1
    run = invoke("scan", str(repo), "--no-config", "--format", "json", "--baseline", str(report))
    doc = json.loads(run.output)
    assert doc["absent"] == [] and consent(doc) == [] and run.exit_code == 0
