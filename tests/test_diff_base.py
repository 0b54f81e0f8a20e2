"""scan --diff-base REF on real git repositories: the app at REF is the baseline; the working tree is untouched."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from tests import ci_app
from tests.conftest import write_app
from tests.test_cli import invoke

GIT_ENV = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(repo: Path, app_folder: str = ".") -> Path:
    """Two commits: BASE, then CHANGE (a second leak and an unused scope). Returns the app folder."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    app = repo / app_folder
    write_app(app, ci_app.BASE)
    commit_all(repo, "issue panel")
    write_app(app, ci_app.CHANGE)
    commit_all(repo, "project view")
    return app


def tree_state(repo: Path) -> tuple:
    """What a scan must not change: HEAD, the index, the status, the files."""
    files = sorted((p.relative_to(repo).as_posix(), p.read_bytes()) for p in repo.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(repo).parts)
    return (git(repo, "rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes(),
            git(repo, "status", "--porcelain", "--ignored"), files, git(repo, "stash", "list"))


def scan_json(*args: str, cwd: Path | None = None) -> tuple[int, dict | str]:
    run = invoke("scan", *args, "--no-config", "--format", "json", cwd=cwd)
    try:
        return run.exit_code, json.loads(run.output)
    except ValueError:
        return run.exit_code, run.output


def states(doc: dict) -> dict[tuple, str]:
    return {(f["rule"], f["path"], f["line"]): f["baselineState"] for f in doc["findings"]}


def test_change_against_parent_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    before = tree_state(repo)
    code, doc = scan_json(str(repo), "--diff-base", "HEAD~1")
    assert code == 1
    assert states(doc) == ci_app.CHANGE_FINDINGS and doc["absent"] == []
    assert tree_state(repo) == before


def test_uncommitted_change_against_head_in_a_monorepo_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    app = write_app(repo / "apps" / "sprint-notes", ci_app.BASE)
    write_app(repo / "apps" / "other", ci_app.CHANGE)  # another app with leaks, not scanned
    commit_all(repo, "apps")
    write_app(app, ci_app.CHANGE)  # not committed
    before = tree_state(repo)
    code, doc = scan_json("apps/sprint-notes", "--diff-base", "main", cwd=repo)
    assert code == 1
    prefix = "apps/sprint-notes/"
    assert states(doc) == {(rule, prefix + path, line): state for (rule, path, line), state in
                           ci_app.CHANGE_FINDINGS.items()}
    assert tree_state(repo) == before
    # the change is the baseline of itself: nothing new, exit 0
    commit_all(repo, "project view")
    code, doc = scan_json(str(app), "--diff-base", "HEAD")
    assert code == 0 and set(states(doc).values()) == {"unchanged"}


def test_app_added_since_ref_is_all_new(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_app(repo, {"README.md": "# sprint notes\n"})
    commit_all(repo, "readme")
    write_app(repo / "app", ci_app.CHANGE)
    code, doc = scan_json(str(repo / "app"), "--diff-base", "HEAD", "--source-root", str(repo))
    assert code == 1
    assert set(states(doc).values()) == {"new"} and len(doc["findings"]) == 3


def test_not_a_git_repository(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", ci_app.CHANGE)
    code, out = scan_json(str(app), "--diff-base", "main")
    assert code == 2 and "is not in a git repository" in out


@pytest.mark.parametrize("ref", ["no-such-branch", "HEAD~5", "-p"])
def test_unknown_ref(ref: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    code, out = scan_json(str(repo), "--diff-base", ref)
    assert code == 2
    assert "unknown revision" in out or "is not a git revision" in out


def test_shallow_clone_without_the_ref(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    make_repo(origin)
    base = git(origin, "rev-parse", "HEAD~1")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", origin.as_uri(), str(clone)], check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})
    code, out = scan_json(str(clone), "--diff-base", base)
    assert code == 2
    assert "shallow clone" in out and "fetch-depth: 0" in out
    git(clone, "fetch", "-q", "--deepen=1")  # what the message says to do
    code, doc = scan_json(str(clone), "--diff-base", base)
    assert code == 1 and states(doc) == ci_app.CHANGE_FINDINGS


OUTSIDE_CACHE = (ci_app.IMPORTS + "const resolver = new Resolver();\n" + ci_app.PROJECT_RESOLVER
                 + "\nexport default resolver;\n")


@pytest.mark.parametrize("lib", ["symlink", "folder"])
def test_hostile_tree_at_ref_is_read_safely(lib: str, tmp_path: Path) -> None:
    """A crafted base commit: src/lib a symlink out of the repository to leaking code the handler imports, a
    symlink and a folder of the same name (a write through it would land outside), and a '..' entry. Nothing is
    written outside the copy, and the code behind the symlink is not scanned; the same code in a real folder
    is (it shows as an absent finding, gone from the working tree)."""
    repo = tmp_path / "repo"
    make_repo(repo)
    outside = write_app(tmp_path / "outside", {"cache.js": OUTSIDE_CACHE})
    target = tmp_path / "target"
    target.mkdir()

    def blob(text: str) -> str:
        return git(repo, "hash-object", "-w", "--stdin", stdin=text)

    def tree(lines: list[str]) -> str:
        return git(repo, "mktree", stdin="".join(line + "\n" for line in lines))

    entries = git(repo, "ls-tree", "HEAD").splitlines()
    src_entries = [e for e in git(repo, "ls-tree", "HEAD:src").splitlines() if not e.endswith("\tindex.js")]
    index = blob("import './lib/cache.js';\n" + ci_app.CHANGE["src/index.js"])
    if lib == "symlink":
        lib_entry = f"120000 blob {blob(str(outside))}\tlib"
    else:
        cache = "100644 blob " + blob(OUTSIDE_CACHE) + "\tcache.js"
        lib_entry = f"040000 tree {tree([cache])}\tlib"
    new_src = tree(src_entries + [f"100644 blob {index}\tindex.js", lib_entry])
    pwned = tree([f"100644 blob {blob('const pwned = 1;')}\tpwned.js"])
    crafted = tree([e for e in entries if not e.endswith("\tsrc")]
                   + [f"040000 tree {new_src}\tsrc", f"120000 blob {blob(str(target))}\tevil",
                      f"040000 tree {pwned}\tevil", f"100644 blob {blob('x')}\t.."])
    base = git(repo, "commit-tree", crafted, "-p", "HEAD", "-m", "crafted")
    before = tree_state(repo)
    code, doc = scan_json(str(repo), "--diff-base", base)
    assert code == 0, doc
    assert list(target.iterdir()) == [] and [p.name for p in outside.iterdir()] == ["cache.js"]
    assert set(states(doc).values()) == {"unchanged"}
    absent = [(a["rule"], a["path"]) for a in doc["absent"]]
    assert absent == ([] if lib == "symlink" else [("tenant/global-state", "src/lib/cache.js")])
    assert tree_state(repo) == before


def test_files_over_the_size_limit_are_not_copied(tmp_path: Path) -> None:
    from auditor import revision

    repo = tmp_path / "repo"
    make_repo(repo)
    copy = tmp_path / "copy"
    copy.mkdir()
    size = len(ci_app.CHANGE["src/index.js"].encode())
    revision.materialise(repo, git(repo, "rev-parse", "HEAD"), [PurePosixPath(".")], copy, size - 1)
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == [
        "manifest.yml", "src/frontend/index.jsx"]
    assert (copy / "manifest.yml").read_text() == ci_app.CHANGE["manifest.yml"]
