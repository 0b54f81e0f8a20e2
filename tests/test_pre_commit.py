"""The pre-commit hook (.pre-commit-hooks.yaml), run by `pre-commit try-repo` in a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import ci_app
from tests.conftest import write_app
from tests.test_diff_base import GIT_ENV, commit_all, git

REPO = Path(__file__).resolve().parent.parent
# pre-commit is in the `test` extra, installed beside this interpreter
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "forge-audit" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["entry"] == "forge-audit scan ."
    readme = (REPO / "README.md").read_text()
    assert "      - id: forge-audit\n" in readme


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str, dict]:
    """This project as a git repository at one commit (the working copy, uncommitted changes included), so
    pre-commit builds the hook's environment once for every test; and that environment's home."""
    copy = tmp_path_factory.mktemp("hook-repo")
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, copy / rel)
    git(copy, "init", "-q")
    ref = commit_all(copy, "forge-audit")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home"))}
    return copy, ref, env


def try_repo(hook_repo, project: Path, *args: str) -> subprocess.CompletedProcess:
    copy, ref, env = hook_repo
    return subprocess.run([PRE_COMMIT, "try-repo", str(copy), "forge-audit", "--ref", ref, *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600)


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_app(root, files)
    return root


def test_staged_leak_fails_the_commit_with_one_scan(hook_repo, tmp_path: Path) -> None:
    root = project(tmp_path, ci_app.BASE)
    commit_all(root, "issue panel")
    write_app(root, ci_app.CHANGE)
    git(root, "add", "-A")
    run = try_repo(hook_repo, root)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "forge-audit" in run.stdout and "Failed" in run.stdout
    assert "src/index.js:19:7  error  tenant/global-state" in run.stdout
    assert run.stdout.count("in 1 app") == 1  # the repository once, not once per changed file


def readme_config(hook_repo, args: list[str] | None = None) -> str:
    """The README's .pre-commit-config.yaml, pointing at the local copy of this project."""
    copy, ref, _ = hook_repo
    readme = (REPO / "README.md").read_text()
    snippet = readme[readme.index("```yaml\nrepos:") + len("```yaml\n"):]
    config = yaml.safe_load(snippet[:snippet.index("```")])
    config["repos"][0].update(repo=str(copy), rev=ref)
    if args:
        config["repos"][0]["hooks"][0]["args"] = args
    return yaml.safe_dump(config)


def run_hooks(hook_repo, root: Path) -> subprocess.CompletedProcess:
    """`pre-commit run` on the staged files, as `git commit` runs it (--verbose: with the hook's output even
    when it passes); the environment is built once."""
    _, _, env = hook_repo
    return subprocess.run([PRE_COMMIT, "run", "--verbose"], cwd=root, env=env, capture_output=True, text=True, timeout=600)


def test_readme_config_skips_other_files_passes_clean_apps_and_can_gate_on_new_findings(hook_repo,
                                                                                        tmp_path: Path) -> None:
    root = project(tmp_path, {**ci_app.BASE, ".pre-commit-config.yaml": readme_config(hook_repo)})
    commit_all(root, "issue panel")
    write_app(root, {"README.md": "# Sprint notes\n"})
    git(root, "add", "-A")
    run = run_hooks(hook_repo, root)
    assert run.returncode == 0 and "(no files to check)Skipped" in run.stdout, run.stdout + run.stderr
    # the issue leak moved into the handler: a clean app
    clean = ci_app.BASE["src/index.js"].replace("const watchersByIssue = {};\n", "").replace(
        "  const { key }", "  const watchersByIssue = {};\n  const { key }")
    write_app(root, {"src/index.js": clean})
    git(root, "add", "-A")
    run = run_hooks(hook_repo, root)
    assert run.returncode == 0 and "Passed" in run.stdout, run.stdout + run.stderr
    # with --diff-base HEAD: the old leak alone passes, the change adding one fails
    git(root, "reset", "-q", "--hard")
    write_app(root, {".pre-commit-config.yaml": readme_config(hook_repo, ["--diff-base", "HEAD"])})
    commit_all(root, "gate on new findings")
    write_app(root, {"src/index.js": ci_app.BASE["src/index.js"] + "// v2\n"})
    git(root, "add", "-A")
    run = run_hooks(hook_repo, root)
    assert run.returncode == 0 and "[unchanged]" in run.stdout and "1 error" in run.stdout, run.stdout + run.stderr
    write_app(root, ci_app.CHANGE)
    git(root, "add", "-A")
    run = run_hooks(hook_repo, root)
    assert run.returncode == 1 and "3 new, 1 unchanged" in run.stdout, run.stdout + run.stderr
