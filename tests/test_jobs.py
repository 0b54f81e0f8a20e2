"""--jobs: apps of a monorepo analysed in worker processes, and a large app's module state found in two
processes, give the report a serial scan gives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor import engine
from auditor.config import Config
from auditor.engine import scan
from auditor.model import Notification
from tests.test_cli import invoke

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_parallel_scan_reports_what_a_serial_scan_reports(tmp_path: Path) -> None:
    # fixtures/tenant: 35 apps, with leaks, notes, suppressions and partly parsed files
    reports = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.sarif"
        result = invoke("scan", str(FIXTURES / "tenant"), "--no-config", "--allow-incomplete",
                        "--format", "sarif", "-o", str(out), "--jobs", jobs)
        assert result.exit_code in (0, 1), result.output
        reports[jobs] = json.loads(out.read_text())
    assert reports["2"]["runs"][0]["results"], "the fixtures have findings"
    assert reports["1"] == reports["2"]


def test_parallel_scan_keeps_everything_a_report_reads() -> None:
    serial = scan([FIXTURES / "scopes"], Config(), FIXTURES, jobs=1)
    parallel = scan([FIXTURES / "scopes"], Config(), FIXTURES, jobs=2)
    assert len(serial.apps) >= engine.MIN_APPS_PER_POOL
    assert parallel.findings == serial.findings
    assert parallel.notifications == serial.notifications
    assert parallel.contents == serial.contents
    assert parallel.permissions == serial.permissions
    assert parallel.not_deployed == serial.not_deployed
    assert parallel.frontend_sources == serial.frontend_sources


def _marked_scan(root: Path, roots: list[Path], paths: list[Path], config: Config) -> engine._AppScan:
    """A worker's job that says which process ran it, and fails for one app."""
    if root.name == "granular-sets":
        raise RuntimeError("the result cannot be sent back")
    return engine._AppScan(notifications=[Notification("note", f"analysed by {os.getpid()}", root)])


def test_apps_are_analysed_in_worker_processes_and_a_failed_worker_is_redone_here(monkeypatch) -> None:
    monkeypatch.setattr(engine, "_scan_app_in_worker", _marked_scan)  # the forked workers inherit it
    result = scan([FIXTURES / "scopes"], Config(), FIXTURES, jobs=2)
    marks = [n for n in result.notifications if n.message.startswith("analysed by ")]
    assert len(marks) == len(result.apps) - 1
    assert all(n.message != f"analysed by {os.getpid()}" for n in marks)
    assert [f for f in result.findings if "granular-sets" in f.location.path.parts], \
        "the app whose worker failed is scanned in this process"


def _services(root: Path, count: int) -> Path:
    """``count`` TypeScript services on one shared Resolver, each with module-level caches (tenant findings)
    and imports of its neighbours: state declared in one half is read through the other."""
    (root / "src" / "services").mkdir(parents=True)
    (root / "manifest.yml").write_text(
        "app:\n  id: ari:cloud:ecosystem::app/1b2c3d4e-0000-4000-8000-000000000002\n  runtime:\n    name: nodejs22.x\n"
        "modules:\n  jira:issuePanel:\n    - key: panel\n      resource: main\n      resolver:\n        function: resolver\n"
        "      title: Panel\n  function:\n    - key: resolver\n      handler: index.handler\n"
        "resources:\n  - key: main\n    path: static/main/build\n"
        "permissions:\n  scopes:\n    - read:jira-work\n")
    (root / "src" / "resolver.ts").write_text("import Resolver from '@forge/resolver';\n\n"
                                              "export default new Resolver();\n")
    for n in range(count):
        other = f"import {{ cached{n - 1} }} from './service{n - 1}';\n" if n else ""
        (root / "src" / "services" / f"service{n}.ts").write_text(
            f"import api, {{ route }} from '@forge/api';\nimport resolver from '../resolver';\n{other}\n"
            f"const issues: Record<string, unknown> = {{}};\nconst seen = new Map<string, number>();\n\n"
            f"export function cached{n}(key: string): unknown {{\n  return issues[key];\n}}\n\n"
            f"resolver.define('issue-{n}', async ({{ payload }}) => {{\n"
            f"  const key = String(payload.issueKey);\n"
            f"  if (!issues[key]) {{\n"
            f"    const res = await api.asUser().requestJira(route`/rest/api/3/issue/${{key}}`);\n"
            f"    issues[key] = await res.json();\n  }}\n"
            f"  seen.set(key, (seen.get(key) ?? 0) + 1);\n"
            f"  return {{ issue: issues[key], seen: seen.get(key){', before: cached%d(key)' % (n - 1) if n else ''} }};\n"
            f"}});\n")
    (root / "src" / "index.ts").write_text("import resolver from './resolver';\n"
                                           + "".join(f"import './services/service{n}';\n" for n in range(count))
                                           + "\nexport const handler = resolver.getDefinitions();\n")
    return root


def _report(result) -> list[tuple]:
    return [(f.rule_id, f.location, f.level, f.message, f.properties, f.related, f.code_flows)
            for f in result.findings]


def test_a_large_apps_state_split_between_processes_gives_the_serial_findings(tmp_path: Path, monkeypatch) -> None:
    app = _services(tmp_path / "app", 12)
    serial = scan([app], Config(), app, jobs=1)
    assert sum(f.rule_id == "tenant/global-state" for f in serial.findings) == 24
    children = []
    start = engine.forked.start
    monkeypatch.setattr(engine.forked, "start", lambda work: children.append(1) or start(work))
    monkeypatch.setattr(engine, "SPLIT_BYTES", 1)  # a dozen small services stand in for a large app
    split = scan([app], Config(), app, jobs=2)
    assert children == [1]
    assert _report(split) == _report(serial) and split.notifications == serial.notifications


def test_a_failed_child_leaves_its_half_to_this_process(tmp_path: Path, monkeypatch) -> None:
    app = _services(tmp_path / "app", 6)
    serial = scan([app], Config(), app, jobs=1)
    monkeypatch.setattr(engine, "SPLIT_BYTES", 1)
    start = engine.forked.start
    monkeypatch.setattr(engine.forked, "start", lambda work: start(lambda: os._exit(3)))  # the child dies
    split = scan([app], Config(), app, jobs=2)
    assert _report(split) == _report(serial) and split.notifications == serial.notifications


def test_a_small_app_is_not_split(tmp_path: Path, monkeypatch) -> None:
    app = _services(tmp_path / "app", 6)
    monkeypatch.setattr(engine.forked, "start", lambda work: pytest.fail("forked for a small app"))
    assert scan([app], Config(), app, jobs=2).findings
