"""The command line: exit codes, formats, config file, flags winning over it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from rules.registry import ALL_RULES
from tests.conftest import GOOD_CODE

MISSING = GOOD_CODE.format(suffix="/comment", options=", { method: 'POST' }")
NOTE_ONLY = "permissions:\n  scopes:\n    - read:jira-work\n    - manage:jira-configuration\n"


def invoke(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args))
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args))
    finally:
        os.chdir(old)


def test_clean_app_exits_zero(make_app) -> None:
    result = invoke("scan", str(make_app()), "--no-config")
    assert result.exit_code == 0, result.output
    assert "0 findings in 1 app" in result.output


def test_findings_at_error_exit_one_with_text_report(make_app) -> None:
    app = make_app({"src/index.js": MISSING})
    result = invoke("scan", str(app), "--no-config")
    assert result.exit_code == 1
    line = next(l for l in result.output.splitlines() if "scope/missing" in l)
    assert line.split("  ")[0].endswith("src/index.js:3:21")
    assert "  error  scope/missing  POST /rest/api/3/issue/{issueIdOrKey}/comment needs write:jira-work" in line
    assert "^^^" in result.output and "related" in result.output
    assert "2 findings (1 error, 1 warning) in 1 app" in result.output


def test_fail_on_levels(make_app) -> None:
    manifest = (make_app().joinpath("manifest.yml")).read_text().replace(
        "    - read:jira-work\n", "    - read:jira-work\n    - manage:jira-configuration\n")
    app = make_app({"manifest.yml": manifest, "src/index.js": GOOD_CODE.format(suffix="", options="")}, name="w")
    # manage:jira-configuration: unused (warning) and privileged (note)
    assert invoke("scan", str(app), "--no-config").exit_code == 0
    assert invoke("scan", str(app), "--no-config", "--fail-on", "warning").exit_code == 1
    assert invoke("scan", str(app), "--no-config", "--fail-on", "note", "--disable", "scope/unused").exit_code == 1
    assert invoke("scan", str(app), "--no-config", "--fail-on", "warning", "--disable", "scope/unused").exit_code == 0
    assert invoke("scan", str(app), "--no-config", "--fail-on", "none").exit_code == 0


def test_no_manifest_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("scan", str(tmp_path))
    assert result.exit_code == 2
    assert "no manifest.yml found" in result.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert invoke("scan", str(tmp_path / "nope")).exit_code == 2


def test_json_and_sarif_to_file(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": MISSING})
    out = tmp_path / "report.json"
    result = invoke("scan", str(app), "--no-config", "--format", "json", "--output", str(out),
                    "--source-root", str(app))
    assert result.exit_code == 1
    doc = json.loads(out.read_text())
    assert [(f["rule"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("scope/unused", "manifest.yml", 11), ("scope/missing", "src/index.js", 3)]
    assert doc["summary"] == {"error": 1, "warning": 1} and doc["executionSuccessful"] is True
    sarif_out = tmp_path / "report.sarif"
    assert invoke("scan", str(app), "--no-config", "--format", "sarif", "-o", str(sarif_out)).exit_code == 1
    log = json.loads(sarif_out.read_text())
    assert log["version"] == "2.1.0"
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"scope/missing", "scope/unused"}


def test_config_file_disables_rules_and_sets_fail_on(make_app) -> None:
    app = make_app({"src/index.js": MISSING, ".forge-audit.yml": "rules:\n  disable: [scope/missing]\n"})
    result = invoke("scan", str(app))
    assert result.exit_code == 0 and "scope/missing" not in result.output
    # flags win over the file
    result = invoke("scan", str(app), "--enable", "scope/missing")
    assert result.exit_code == 0, "disable in the file still applies to rules the flag enables"
    app2 = make_app({"src/index.js": MISSING, ".forge-audit.yml": "fail-on: none\n"}, name="b")
    assert invoke("scan", str(app2)).exit_code == 0
    assert invoke("scan", str(app2), "--fail-on", "error").exit_code == 1


def test_config_exclude_and_size(make_app) -> None:
    app = make_app({"src/index.js": GOOD_CODE.format(suffix="", options=""), "src/legacy/old.js": "const x = ;\n",
                    ".forge-audit.yml": "exclude: ['src/legacy/*']\nmax-file-size: 1MB\n"})
    result = invoke("scan", str(app))
    assert result.exit_code == 0 and "old.js" not in result.output
    result = invoke("scan", str(app), "--no-config")
    assert result.exit_code == 0 and "old.js" in result.output and "analysed partially" in result.output


def test_bad_config_is_a_usage_error(make_app) -> None:
    app = make_app({".forge-audit.yml": "rules:\n  disable: [scope/unsued]\n"})
    result = invoke("scan", str(app))
    assert result.exit_code == 2
    assert "unknown rule 'scope/unsued'; did you mean 'scope/unused'?" in result.output
    app2 = make_app({".forge-audit.yml": "fail_on: warning\n"}, name="c")
    result = invoke("scan", str(app2))
    assert result.exit_code == 2 and "did you mean 'fail-on'" in result.output
    assert invoke("scan", str(app2), "--no-config", "--max-file-size", "lots").exit_code == 2


def test_suppressed_findings_hidden_unless_asked(make_app) -> None:
    code = MISSING.replace("  const res", "  // forge-audit-ignore scope/missing: comments are posted by an admin-only flow\n  const res")
    app = make_app({"src/index.js": code})
    result = invoke("scan", str(app), "--no-config")
    assert result.exit_code == 0 and "1 suppressed" in result.output
    shown = invoke("scan", str(app), "--no-config", "--show-suppressed")
    assert "[suppressed: comments are posted by an admin-only flow]" in shown.output
    assert shown.exit_code == 0, "suppressed findings never fail the build"


def test_rules_and_explain() -> None:
    listing = invoke("rules")
    assert listing.exit_code == 0
    assert [l.split()[0] for l in listing.output.splitlines()] == [r.id for r in ALL_RULES]
    explained = invoke("explain", "scope/unused")
    assert explained.exit_code == 0 and "## Why is this bad?" in explained.output
    unknown = invoke("explain", "scope/unusd")
    assert unknown.exit_code == 2 and "did you mean 'scope/unused'" in unknown.output


def test_help_lists_commands_and_options() -> None:
    assert all(cmd in invoke("--help").output for cmd in ("scan", "rules", "explain"))
    scan_help = invoke("scan", "--help").output
    for option in ("--format", "--output", "--fail-on", "--config", "--exclude", "--max-file-size",
                   "--show-suppressed", "--source-root"):
        assert option in scan_help


def test_installed_console_script_runs(make_app) -> None:
    """The `forge-audit` entry point from pyproject.toml, as a user runs it."""
    import shutil
    import subprocess
    import sys

    script = Path(sys.executable).with_name("forge-audit")
    script = str(script) if script.exists() else shutil.which("forge-audit")
    assert script, "forge-audit is not installed in this environment"
    app = make_app({"src/index.js": MISSING})
    done = subprocess.run([script, "scan", str(app), "--no-config", "--format", "sarif"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["runs"][0]["tool"]["driver"]["name"] == "forge-audit"


def test_text_report_written_to_a_file_has_no_colour(make_app, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(main, ["scan", str(make_app({"src/index.js": MISSING})), "--no-config",
                                       "-o", str(out)], color=True)
    assert result.exit_code == 1
    assert "scope/missing" in out.read_text() and "\x1b[" not in out.read_text()


def test_quick_exit_flushes_the_report_and_keeps_the_exit_code(make_app, tmp_path: Path) -> None:
    """run() (the console script) ends the process without tearing the interpreter down: the report on
    standard output must be whole, and the exit code the command's."""
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from auditor.console import run; run()", *args],
                              capture_output=True, text=True, timeout=300)

    tenant = Path(__file__).resolve().parent.parent / "fixtures" / "tenant"
    done = run("scan", str(tenant), "--no-config", "--allow-incomplete", "--format", "json", "--jobs", "1")
    assert done.returncode == 1, done.stderr
    assert len(done.stdout) > 64 * 1024  # several pipe buffers' worth, all written before the exit
    assert len(json.loads(done.stdout)["findings"]) > 50
    clean = run("scan", str(make_app()), "--no-config")
    assert clean.returncode == 0 and "0 findings in 1 app" in clean.stdout
    assert run("scan", str(tmp_path / "missing")).returncode == 2


def test_a_scan_loads_only_what_it_uses(tmp_path: Path) -> None:
    """Start-up is most of a small app's scan: a SARIF scan of the demo app imports no replay harness,
    no JSON-schema library or graph library, and no importlib.resources (its tempfile, shutil and
    archive modules cost ~7 ms)."""
    import subprocess
    import sys

    demo = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "issue-tracker"
    probe = ("import sys\nfrom auditor.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, "scan", str(demo), "--no-config", "--format", "sarif",
                           "-o", str(tmp_path / "demo.sarif")], capture_output=True, text=True, timeout=120)
    loaded = set(done.stderr.split())
    assert "rules.registry" in loaded and (tmp_path / "demo.sarif").stat().st_size > 0, done.stderr
    unwanted = {"runtime_harness.replay", "py_mini_racer", "jsonschema", "networkx", "sarif_om",
                "importlib.resources", "tempfile", "auditor.revision", "auditor.fix"}
    assert not loaded & unwanted


def test_an_internal_error_exits_2_with_its_traceback(make_app, monkeypatch) -> None:
    """Never "clean" after a crash: the traceback, a one-line reason and exit code 2."""
    import auditor.cli as cli

    def crash(*args, **kwargs):
        raise ValueError("analysis bug")

    monkeypatch.setattr(cli, "scan", crash)
    result = invoke("scan", str(make_app()), "--no-config")
    assert result.exit_code == 2
    assert "ValueError: analysis bug" in result.output
    assert "internal error: the scan did not complete" in result.output
