"""--jobs: apps of a monorepo analysed in worker processes give the report a serial scan gives."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
