"""Reports cut entry-point lists to 20 plus a count and do not repeat a list equal to entryPoints; the
Finding (which replay plans from) and `scan --verbose` JSON keep them whole."""

from __future__ import annotations

import json

from click.testing import CliRunner

from auditor.cli import main
from auditor.config import Config
from auditor.engine import scan

N = 30
WRITERS = 25


def _app(root):
    """N function modules of one handler file, all reading one module-level array, the first WRITERS
    of them writing it too."""
    (root / "src").mkdir(parents=True)
    (root / "manifest.yml").write_text("app:\n  id: ari:cloud:ecosystem::app/1b2c3d4e-0000-4000-8000-000000000001\n"
                                       "  runtime:\n    name: nodejs22.x\nmodules:\n  function:\n" + "".join(
        f"    - key: sync-{i:02}\n      handler: index.sync{i:02}\n" for i in range(N)))
    (root / "src" / "index.js").write_text("const seen = [];\n" + "".join(
        f"export async function sync{i:02}(event) {{\n"
        + ("  seen.push(event.issue.key);\n" if i < WRITERS else "") + "  return seen.length;\n}\n"
        for i in range(N)))
    return root


def _leak(report: dict) -> dict:
    [leak] = [f for f in report.get("findings") or report["runs"][0]["results"]
              if (f.get("rule") or f.get("ruleId")) == "tenant/global-state"]
    return leak["properties"]


def _scan(app, *options) -> dict:
    result = CliRunner().invoke(main, ["scan", str(app), "--no-config", "--enable", "tenant/global-state", *options])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


ALL = [f"function:sync-{i:02}" for i in range(N)]


def test_json_and_sarif_list_20_entries_and_the_count(tmp_path) -> None:
    app = _app(tmp_path / "app")
    for report in (_scan(app, "--format", "json"), _scan(app, "--format", "sarif")):
        properties = _leak(report)
        assert properties["entryPoints"] == ALL[:20] and properties["entryPointsCount"] == N
        assert properties["writerEntryPoints"] == ALL[:20] and properties["writerEntryPointsCount"] == WRITERS
        assert "readerEntryPoints" not in properties and "readerEntryPointsCount" not in properties  # = entryPoints
        assert properties["sharedBy"] == {"src/index.js": ALL[:20]}
        assert properties["sharedByCount"] == {"src/index.js": N}


def test_verbose_json_lists_every_entry(tmp_path) -> None:
    properties = _leak(_scan(_app(tmp_path / "app"), "--format", "json", "--verbose"))
    assert properties["entryPoints"] == properties["readerEntryPoints"] == ALL
    assert properties["writerEntryPoints"] == ALL[:WRITERS]
    assert properties["sharedBy"] == {"src/index.js": ALL}
    assert not any(name.endswith("Count") for name in properties)


def test_the_finding_keeps_the_full_lists_replay_plans_from(tmp_path) -> None:
    app = _app(tmp_path / "app")
    [leak] = scan([app], Config(enable=frozenset({"tenant/global-state"})), app).findings
    assert leak.properties["readerEntryPoints"] == ALL and leak.properties["writerEntryPoints"] == ALL[:WRITERS]
    assert leak.properties["sharedBy"] == {"src/index.js": ALL}
