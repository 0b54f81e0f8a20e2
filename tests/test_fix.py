"""forge-audit fix: unused scopes removed, missing ones added, the rest of the manifest byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import ci_app
from tests.conftest import write_app
from tests.test_cli import invoke

# The resolver of ci_app plus a comment handler: it needs write:jira-work
CODE = ci_app.BASE["src/index.js"] + """
export const addComment = async (event) => {
  await api.asApp().requestJira(route`/rest/api/3/issue/${event.key}/comment`, {
    method: 'POST',
    body: JSON.stringify({ body: event.text }),
  });
};
"""
TAIL = """\
app:
  runtime:
    name: nodejs22.x
  id: ari:cloud:ecosystem::app/5d0c2f8e-7b1a-4e63-9c2d-8f4b6a1e3c57
"""
MODULES = ci_app.MANIFEST[:ci_app.MANIFEST.index("permissions:")]
BLOCK = MODULES + """\
permissions:
  scopes:
    # reading issues for the panel
    - 'read:jira-work'
    - 'manage:jira-configuration'   # the admin page, since removed
  external:
    fetch:
      backend: &sync
        - https://api.notes-sync.example.com
      client: *sync
""" + TAIL


def make(tmp_path: Path, manifest: str, code: str = CODE) -> Path:
    return write_app(tmp_path / "app", {**ci_app.BASE, "src/index.js": code, "manifest.yml": manifest})


def fix(app: Path, *args: str):
    return invoke("fix", str(app), "--no-config", *args)


def test_block_list_diff_write_and_idempotence(tmp_path: Path) -> None:
    app = make(tmp_path, BLOCK)
    before = (app / "manifest.yml").read_bytes()
    run = fix(app)
    assert run.exit_code == 0
    assert (app / "manifest.yml").read_bytes() == before  # a diff only
    changed = [line for line in run.output.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert changed == ["-    - 'manage:jira-configuration'   # the admin page, since removed",
                       "+    - 'write:jira-work'"]
    (app / "manifest.yml").chmod(0o640)
    run = fix(app, "--write")
    assert run.exit_code == 0 and "removed manage:jira-configuration; added write:jira-work" in run.output
    assert (app / "manifest.yml").read_text() == BLOCK.replace(
        "    - 'manage:jira-configuration'   # the admin page, since removed\n", "    - 'write:jira-work'\n")
    assert (app / "manifest.yml").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in app.iterdir()) == ["manifest.yml", "src"]  # no temporary file left
    after = (app / "manifest.yml").read_bytes()
    run = fix(app, "--write")
    assert run.exit_code == 0 and "no scope to remove or add" in run.output
    assert (app / "manifest.yml").read_bytes() == after
    assert invoke("scan", str(app), "--no-config", "--enable", "scope/unused", "--enable", "scope/missing",
                  "--fail-on", "note").exit_code == 0


def test_flow_list_keeps_its_line(tmp_path: Path) -> None:
    manifest = MODULES + "permissions:\n  scopes: [ \"read:jira-work\", \"manage:jira-configuration\" ]  # flow\n" + TAIL
    app = make(tmp_path, manifest)
    assert fix(app, "--write").exit_code == 0
    assert (app / "manifest.yml").read_text() == manifest.replace(
        '[ "read:jira-work", "manage:jira-configuration" ]', '[ "read:jira-work", "write:jira-work" ]')
    assert "no scope to remove or add" in fix(app, "--write").output


def test_crlf_line_ends_are_kept(tmp_path: Path) -> None:
    manifest = BLOCK.replace("\n", "\r\n")
    app = make(tmp_path, "")
    (app / "manifest.yml").write_bytes(manifest.encode())
    assert fix(app, "--write").exit_code == 0
    data = (app / "manifest.yml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == manifest.count("\n")
    assert b"    - 'write:jira-work'\r\n" in data and b"manage:jira-configuration" not in data


def test_missing_scopes_without_a_scopes_list(tmp_path: Path) -> None:
    app = make(tmp_path, MODULES + TAIL)
    assert fix(app, "--write").exit_code == 0
    assert (app / "manifest.yml").read_text() == (
        MODULES + TAIL + "permissions:\n  scopes:\n    - read:jira-work\n    - write:jira-work\n")
    app2 = make(tmp_path / "2", MODULES + "permissions:\n  external:\n    fetch:\n      backend: []\n" + TAIL)
    assert fix(app2, "--write").exit_code == 0
    assert "permissions:\n  scopes:\n    - read:jira-work\n    - write:jira-work\n  external:\n" in (
        app2 / "manifest.yml").read_text()


def test_unused_note_is_kept(tmp_path: Path) -> None:
    """An unresolved call to the product makes scope/unused a note: the scope may be needed, fix keeps it."""
    code = CODE + "\nexport const any = async (event) => api.asApp().requestJira(route`${event.path}`);\n"
    app = make(tmp_path, BLOCK, code)
    run = fix(app, "--write")
    assert run.exit_code == 0
    assert "manage:jira-configuration" in (app / "manifest.yml").read_text()
    assert "added write:jira-work" in run.output


ANCHORED = BLOCK.replace("    - 'manage:jira-configuration'", "    - &admin 'manage:jira-configuration'").replace(
    "  external:", "  # keep the admin scope in sync with the docs: *admin\n  external:")


@pytest.mark.parametrize("manifest, message", [
    (BLOCK.replace("  external:", "  external: ["), "does not load (YAML syntax error"),
    (ANCHORED, "anchored (&admin) and used elsewhere"),
    (MODULES + "x-shared:\n  scopes: &granted\n    - read:jira-work\n    - manage:jira-configuration\n"
     "permissions:\n  scopes: *granted\n" + TAIL, "permissions.scopes is an alias"),
])
def test_unsafe_edits_are_refused(manifest: str, message: str, tmp_path: Path) -> None:
    app = make(tmp_path, manifest)
    run = fix(app, "--write")
    assert run.exit_code == 2 and message in run.output, run.output
    assert (app / "manifest.yml").read_text() == manifest


def test_symlinked_manifest_is_not_replaced(tmp_path: Path) -> None:
    app = make(tmp_path, BLOCK)
    os.rename(app / "manifest.yml", app / "real.yml")
    os.symlink("real.yml", app / "manifest.yml")
    run = fix(app, "--write")
    assert run.exit_code == 2
    assert os.path.islink(app / "manifest.yml") and (app / "real.yml").read_text() == BLOCK
