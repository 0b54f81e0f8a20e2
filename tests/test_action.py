"""action.yml (the composite GitHub Action): it loads, its inputs are documented, and the commands its steps
run work against a fixture repository (a base commit, then a pull request adding a leak and a scope)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import ci_app
from tests.conftest import write_app
from tests.test_ci_formats import parse_command
from tests.test_diff_base import GIT_ENV, commit_all, git
from tests.test_sarif import schema_errors

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def step(name: str) -> dict:
    return next(s for s in STEPS if s.get("name") == name)


def test_action_loads_and_every_input_is_documented() -> None:
    assert ACTION["runs"]["using"] == "composite"
    readme = (REPO / "README.md").read_text()
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
        assert f"| `{name}` |" in readme, f"input {name} is not in the README's table"
    assert {"path", "fail-on", "confirm", "baseline", "diff-base", "sarif-file", "upload"} <= set(ACTION["inputs"])
    assert ACTION["inputs"]["diff-base"]["default"] == "${{ github.event.pull_request.base.sha }}"


def test_steps_take_inputs_through_the_environment_only() -> None:
    """An input spliced into a script is a script injection; inputs reach scripts as environment variables."""
    for s in STEPS:
        if "run" in s:
            assert s["shell"] == "bash" and "${{" not in s["run"], s.get("name")
        for value in list(s.get("env", {}).values()) + list(s.get("with", {}).values()):
            for expr in EXPRESSION.findall(str(value)):
                if expr.startswith("inputs."):
                    assert expr.removeprefix("inputs.") in ACTION["inputs"], expr


def test_upload_step_uses_codeql_upload_sarif_with_category() -> None:
    upload = step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}", "category": "forge-audit"}
    assert "always()" in upload["if"] and "inputs.upload == 'true'" in upload["if"]
    assert "steps.scan.outputs.sarif-written == 'true'" in upload["if"]
    # the job fails per fail-on only after the upload
    assert STEPS.index(upload) < STEPS.index(step("Fail per fail-on"))


class Runner:
    """Runs the action's `run` steps as the Actions runner does: bash -eo pipefail, env from the step's `env`
    (expressions evaluated against the inputs and earlier steps' outputs), GITHUB_OUTPUT collected per step."""

    def __init__(self, workspace: Path, temp: Path, inputs: dict[str, str]):
        self.workspace, self.temp = workspace, temp
        self.inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        self.inputs["diff-base"] = ""  # the default's expression: set explicitly per test
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}

    def evaluate(self, value: str) -> str:
        def one(match: re.Match) -> str:
            expr = match.group(1)
            if expr.startswith("inputs."):
                return self.inputs[expr.removeprefix("inputs.")]
            kind, step_id, _, name = expr.split(".")
            assert kind == "steps"
            return self.outputs.get(step_id, {}).get(name, "")
        return EXPRESSION.sub(one, str(value))

    def run(self, name: str) -> subprocess.CompletedProcess:
        s = step(name)
        output = self.temp / f"output-{s.get('id', 'step')}"
        output.write_text("")
        env = {**os.environ, **GIT_ENV, "RUNNER_TEMP": str(self.temp), "GITHUB_ACTION_PATH": str(REPO),
               "GITHUB_OUTPUT": str(output),
               **{key: self.evaluate(value) for key, value in s.get("env", {}).items()}}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]],
                              cwd=self.workspace, env=env, capture_output=True, text=True)
        if "id" in s:
            self.outputs[s["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines())
        return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """RUNNER_TEMP after the action's install step ran (pip install of this repository into a venv)."""
    temp = tmp_path_factory.mktemp("runner-temp")
    done = Runner(temp, temp, {}).run("Install forge-audit")
    assert done.returncode == 0, done.stderr
    return temp


def pull_request(tmp_path: Path, shallow: bool) -> tuple[Path, str]:
    """A clone checked out at the pull request's head, as actions/checkout leaves it; returns it and the base."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    write_app(origin, ci_app.BASE)
    base = commit_all(origin, "issue panel")
    write_app(origin, ci_app.CHANGE)
    commit_all(origin, "project view")
    workspace = tmp_path / "workspace"
    depth = ["--depth", "1"] if shallow else []
    subprocess.run(["git", "clone", "-q", *depth, origin.as_uri(), str(workspace)], check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})
    return workspace, base


@pytest.mark.parametrize("shallow", [True, False])
def test_pull_request_run_annotates_new_findings_uploads_all_and_fails(installed: Path, tmp_path: Path,
                                                                       shallow: bool) -> None:
    workspace, base = pull_request(tmp_path, shallow)
    runner = Runner(workspace, installed, {"diff-base": base})
    scan = runner.run("Scan")
    assert scan.returncode == 0, scan.stderr  # the upload must still run
    assert runner.outputs["scan"] == {"sarif-written": "true", "exit-code": "1"}
    annotations = [parse_command(line) for line in scan.stdout.splitlines() if line.startswith("::")]
    assert sorted((c, p["file"], p["line"]) for c, p, _ in annotations) == [
        ("error", "src/index.js", "19"), ("warning", "manifest.yml", "18"), ("warning", "manifest.yml", "18")]
    log = json.loads((workspace / "forge-audit.sarif").read_text())
    assert schema_errors(log) == []
    assert len(log["runs"][0]["results"]) == 3  # every finding is uploaded, the old leak too
    failed = runner.run("Fail per fail-on")
    assert failed.returncode == 1 and "::error title=forge-audit::" in failed.stdout


def test_fail_on_none_and_push_without_baseline(installed: Path, tmp_path: Path) -> None:
    workspace, _ = pull_request(tmp_path, shallow=True)
    runner = Runner(workspace, installed, {"fail-on": "none", "sarif-file": "out/audit.sarif"})
    (workspace / "out").mkdir()
    scan = runner.run("Scan")
    assert scan.returncode == 0 and runner.outputs["scan"] == {"sarif-written": "true", "exit-code": "0"}
    assert len([line for line in scan.stdout.splitlines() if line.startswith("::")]) == 3  # no baseline: all
    assert (workspace / "out" / "audit.sarif").is_file()
    assert runner.run("Fail per fail-on").returncode == 0


def test_unknown_base_fails_the_job_with_exit_2(installed: Path, tmp_path: Path) -> None:
    workspace, _ = pull_request(tmp_path, shallow=True)
    runner = Runner(workspace, installed, {"diff-base": "0" * 40})
    scan = runner.run("Scan")
    assert scan.returncode == 0 and runner.outputs["scan"]["exit-code"] == "2"
    assert "--diff-base" in scan.stderr
    assert runner.run("Fail per fail-on").returncode == 2
