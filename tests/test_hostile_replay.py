"""A scanned repository is hostile: its code runs in the replay, and nothing of it may reach the host,
forge a confirmation, or make the harness lose what it found. Each test reproduces one attack or one
false confirmation that the harness once fell for."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

from auditor.config import Config
from auditor.engine import scan
from runtime_harness import replay, session
from runtime_harness.replay import Limits

TENANT_ONLY = Config(enable=frozenset({"tenant/global-state"}))
MANIFEST = """\
app:
  id: ari:cloud:ecosystem::app/1c9e6b7a-2f4d-4c1e-9a51-0b6f2d3e4a10
  runtime:
    name: nodejs22.x
modules:
  jira:issuePanel:
    - key: panel
      resource: main
      resolver:
        function: resolver
      title: Panel
  function:
    - key: resolver
      handler: index.handler
resources:
  - key: main
    path: static/build
permissions:
  scopes:
    - read:jira-work
"""
LEAK = """\
import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';
const issues = {};
const resolver = new Resolver();
resolver.define('getIssue', async ({ payload }) => {
  if (!issues[payload.issueKey]) {
    const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`);
    issues[payload.issueKey] = await res.json();
  }
  return issues[payload.issueKey];
});
export const handler = resolver.getDefinitions();
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def replayed(app: Path, limits: Limits = Limits(call_timeout=3.0)) -> dict[str, dict]:
    """state name -> finding properties after a scan with --confirm."""
    result = scan([app], TENANT_ONLY, app, confirm=limits)
    return {f.properties["state"]: f.properties for f in result.reported() if f.level in ("error", "warning")}


def test_modules_beside_the_scanned_app_never_run_on_the_host(tmp_path: Path, monkeypatch) -> None:
    """`json.py` or a `runtime_harness/` folder in the working directory once ran as Python with the CI
    runner's rights, because the sandbox child was started with `python -m` there."""
    sentinel = tmp_path / "host-code-ran"
    payload = f"open({str(sentinel)!r}, 'w').write('pwned')\n"
    write(tmp_path, {"json.py": payload, "runtime_harness/__init__.py": payload,
                     "runtime_harness/sandbox.py": payload, "py_mini_racer.py": payload,
                     "app/manifest.yml": MANIFEST, "app/src/index.js": LEAK})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    found = replayed(tmp_path / "app")
    assert not sentinel.exists()
    assert found["issues"]["confirmed"] is True, found["issues"]["confirmation"]


def test_node_modules_symlinks_to_secrets_and_devices_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / ".env"
    write(tmp_path, {"outside/.env": "AWS_SECRET=SUPERSECRET-1234\n",
                     "outside/pkg/package.json": '{"main": "index.js"}',
                     "outside/pkg/index.js": "module.exports = 'SUPERSECRET-PKG';\n"})
    app = write(tmp_path / "app", {"manifest.yml": MANIFEST, "src/index.js": """\
import Resolver from '@forge/resolver';
import leak from 'leaky';
import zero from 'zero';
import whole from 'whole';
const seen = {};
const resolver = new Resolver();
resolver.define('get', async ({ payload }) => {
  seen[payload.issueKey] = [String(leak), String(zero), String(whole), payload.note];
  return seen[payload.issueKey];
});
export const handler = resolver.getDefinitions();
""", "node_modules/leaky/package.json": '{"main": "index.js"}',
        "node_modules/zero/package.json": '{"main": "index.js"}'})
    (app / "node_modules/leaky/index.js").symlink_to(secret)
    (app / "node_modules/zero/index.js").symlink_to("/dev/zero")
    (app / "node_modules/whole").symlink_to(tmp_path / "outside" / "pkg", target_is_directory=True)
    started = time.monotonic()
    result = scan([app], TENANT_ONLY, app, confirm=Limits(call_timeout=3.0))
    assert time.monotonic() - started < 60, "a /dev/zero symlink must not be read to its end"
    report = json.dumps([f.properties for f in result.findings]) + json.dumps([f.message for f in result.findings])
    assert "SUPERSECRET" not in report
    assert str(tmp_path) not in json.dumps([f.properties.get("confirmation") for f in result.findings])


def test_memory_outside_the_v8_heap_is_bounded(tmp_path: Path) -> None:
    files = {"/src/index.js": """\
exports.run = async () => {
  const kept = [];
  for (let i = 0; i < 200; i++) kept.push(new Uint8Array(64 * 1024 * 1024).fill(1));   // 12.8 GB off-heap
  return kept.length;
};
"""}
    step = {"tenant": replay.tenant("A"), "file": "/src/index.js", "export": "run", "resolverKey": None,
            "payload": {}, "context": {}, "label": "run"}
    job = {"files": files, "packages": {}, "limits": {"memory_bytes": 64 << 20, "call_timeout": 20},
           "runs": [{"id": "r", "steps": [step]}]}
    run = replay.run_sandbox(job, 60)["runs"][0]
    assert run["steps"][0]["ok"] is False and "memory limit reached" in run["steps"][0]["error"], run


def test_harness_globals_cannot_be_read_or_driven_by_app_code() -> None:
    """App code once read `__h.storage` (every tenant's data), wrapped `__begin` or replaced `__invoke`."""
    files = {"/src/index.js": """\
exports.run = async (payload, context) => {
  const found = {};
  for (const name of ['__h', '__begin', '__invoke', '__preload', '__define', '__kvs', 'H']) found[name] = typeof globalThis[name];
  try { __forgeAudit.invoke('guess', {}); found.invoke = 'ran'; } catch (e) { found.invoke = e.message; }
  try { __forgeAudit.init('0123456789abcdef0123'); found.init = 'ran'; } catch (e) { found.init = e.message; }
  try { globalThis.__forgeAudit = null; } catch (e) { }
  try { __forgeAudit.poll = () => 'forged'; } catch (e) { }
  found.still = typeof globalThis.__forgeAudit.poll;
  // the override mistake: assigning a property a frozen prototype holds must work as in Node
  class NotFound extends Error { constructor(m) { super(m); this.name = 'NotFound'; } }
  found.errorName = new NotFound('x').name;
  found.timer = await new Promise((resolve) => setTimeout(() => resolve('fired'), 0));
  found.immediate = await new Promise((resolve) => setImmediate(() => resolve('fired')));
  found.slept = await new Promise((resolve) => { const t = setTimeout(resolve, 60000, 'later'); t.unref(); });
  return found;
};
"""}
    step = lambda t: {"tenant": t, "file": "/src/index.js", "export": "run", "resolverKey": None,  # noqa: E731
                      "payload": {}, "context": {}, "label": "run"}
    job = {"files": files, "packages": {}, "limits": {"memory_bytes": 64 << 20, "call_timeout": 5},
           "runs": [{"id": "r", "steps": [step(replay.tenant("A")), step(replay.tenant("B"))]}]}
    run = replay.run_sandbox(job, 60)["runs"][0]
    assert [s["ok"] for s in run["steps"]] == [True, True], run
    found = json.loads(run["steps"][1]["result"])
    assert all(found[name] == "undefined" for name in ("__h", "__begin", "__invoke", "__preload", "__define",
                                                         "__kvs", "H")), found
    assert found["invoke"] == found["init"] == "forge-audit harness: call refused" or "refused" in found["init"]
    assert "refused" in found["invoke"] and found["still"] == "function"
    assert found["errorName"] == "NotFound"
    assert (found["timer"], found["immediate"], found["slept"]) == ("fired", "fired", "later")
    assert run["steps"][1]["seconds"] < 5, "timers run on a virtual clock"


def test_a_file_cannot_close_the_module_wrapper() -> None:
    files = {"/src/index.js": "exports.run = () => globalThis.escaped;\n});\nglobalThis.escaped = 'outside';\n(function () {\n",
             "/src/main.js": "exports.run = () => { try { require('./index'); return 'loaded'; } "
                             "catch (e) { return e.message; } };\n"}
    step = {"tenant": replay.tenant("A"), "file": "/src/main.js", "export": "run", "resolverKey": None,
            "payload": {}, "context": {}, "label": "run"}
    job = {"files": files, "packages": {}, "limits": {"memory_bytes": 64 << 20, "call_timeout": 5},
           "runs": [{"id": "r", "steps": [step]}]}
    run = replay.run_sandbox(job, 60)["runs"][0]
    assert "/src/index.js does not compile" in json.loads(run["steps"][0]["result"])
    assert any("/src/index.js does not compile" in p for p in run["problems"])


def test_malformed_or_oversized_child_answers_are_a_failure_not_a_crash(monkeypatch) -> None:
    for bad in (b'{"id": "r", "steps": [{"ok": "yes"}], "problems": []}', b'{"id": 1}', b"[]", b"not json",
                b'{"id": "other", "steps": [], "problems": []}',
                b'{"id": "r", "steps": [], "problems": [{"x": 1}]}'):
        assert session.checked(bad, "r") is None, bad
    assert session.checked(b'{"id": "r", "steps": [], "problems": [], "inspected": null, "reset": null}', "r")
    # a child that answers garbage: the run fails with a reason, the parent goes on
    monkeypatch.setattr(session, "BOOT", "import sys; sys.stdin.readline(); sys.stdin.readline(); "
                                         "print('{\"id\": {\"unhashable\": []}, \"steps\": 7}', flush=True)")
    job = {"files": {}, "packages": {}, "limits": {"memory_bytes": 1 << 26, "call_timeout": 1},
           "runs": [{"id": "r", "steps": [{"tenant": replay.tenant("A"), "file": "/x.js"}]}]}
    run = replay.run_sandbox(job, 30)["runs"][0]
    assert run["steps"] == [] and run["problems"] == ["the sandbox gave a malformed answer"]
    monkeypatch.setattr(session, "MAX_ANSWER_BYTES", 1000)
    monkeypatch.setattr(session, "BOOT", "import sys; sys.stdin.readline(); sys.stdin.readline(); "
                                         "sys.stdout.write('x' * 5000); sys.stdout.flush(); sys.stdin.read()")
    run = replay.run_sandbox(job, 30)["runs"][0]
    assert "answered more than 1,000 bytes" in run["problems"][0]


def test_a_state_emptied_per_invocation_is_not_confirmed_by_another_leak(tmp_path: Path) -> None:
    """A per-invocation map emptied in `finally` was once confirmed because a real leak in the same
    handler carried the canary: the judge never checked that the named state carried it."""
    app = write(tmp_path / "app", {"manifest.yml": MANIFEST, "src/index.js": """\
import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';
const scratch = new Map();
const summaries = {};
const resolver = new Resolver();
resolver.define('getIssue', async ({ payload }) => {
  try {
    const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`);
    const issue = await res.json();
    scratch.set(payload.issueKey, issue);
    summaries[payload.issueKey] = summaries[payload.issueKey] ?? issue.fields.summary;
    return { summary: summaries[payload.issueKey], seen: scratch.get(payload.issueKey).key };
  } finally {
    scratch.clear();
  }
});
export const handler = resolver.getDefinitions();
"""})
    found = replayed(app)
    assert found["summaries"]["confirmed"] is True, found["summaries"]["confirmation"]
    assert found["scratch"]["confirmed"] is False
    assert "not through 'scratch'" in found["scratch"]["confirmation"]["reason"]


def test_per_invocation_ids_never_coincide_between_tenants(tmp_path: Path) -> None:
    """Caches keyed by a queue jobId or a requestId were confirmed because both tenants got the same id."""
    manifest = MANIFEST.replace("""  function:
    - key: resolver""", """  consumer:
    - key: worker
      queue: digest
      function: consume
  function:
    - key: consume
      handler: worker.run
    - key: resolver""")
    app = write(tmp_path / "app", {"manifest.yml": manifest, "src/index.js": LEAK.replace(
        "issues[payload.issueKey]", "issues[payload.requestId]"), "src/worker.js": """\
import api, { route } from '@forge/api';
const progress = {};
export async function run(event) {
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${event.body.issueKey}`);
  progress[event.jobId] = progress[event.jobId] ?? (await res.json());
  return progress[event.jobId];
}
"""})
    found = replayed(app)
    assert set(found) == {"issues", "progress"}
    for name in ("issues", "progress"):
        details = found[name]["confirmation"]
        assert found[name]["confirmed"] is False and "did not receive tenant A's data" in details["reason"], details
        assert not any(name.endswith(("requestId", "jobId")) for name in details["sharedValues"]), details
    queued = found["progress"]["confirmation"]["payloads"]
    assert queued["A"]["jobId"] != queued["B"]["jobId"]


def test_replay_budget_is_shared_by_the_whole_scan_and_plans_are_lazy(tmp_path: Path) -> None:
    app = write(tmp_path / "app", {"manifest.yml": MANIFEST, "src/index.js": LEAK})
    found = replayed(app, Limits(call_timeout=3.0, budget=0.0))
    details = found["issues"]["confirmation"]
    assert found["issues"]["confirmed"] is False and "replay budget" in details["reason"]
    assert details["outcome"] == details["attempts"][0]["outcome"] == "not-run"
    assert details["attempts"][0]["reason"] == details["reason"]
    # 3,000 writers x 3,000 readers: the first pairs come at once, none of the 9 million is built ahead
    finding = type("F", (), {"properties": {"writerEntryPoints": [f"w{i}" for i in range(3000)],
                                            "readerEntryPoints": [f"r{i}" for i in range(3000)]}})()
    generated = replay.pairs(finding)
    assert list(itertools.islice(generated, 2)) == [("w0", "r0"), ("w0", "r1")]


def test_sandbox_children_get_an_empty_environment_and_working_directory(tmp_path: Path) -> None:
    child = session.Child({"files": {}, "packages": {}, "limits": {"memory_bytes": 1 << 26, "call_timeout": 1}})
    try:
        # Read once the child runs the sandbox (its own command line): between fork and exec /proc shows
        # the forking process, which made this test flaky on a busy machine.
        deadline = time.monotonic() + 10
        while b"-I" not in (cmdline := Path(f"/proc/{child.proc.pid}/cmdline").read_bytes().split(b"\0")) \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        environ = Path(f"/proc/{child.proc.pid}/environ").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{child.proc.pid}/cwd")
    finally:
        child.close()
    assert [e for e in environ if e] == [f"PATH={os.defpath}".encode()]
    assert cwd.startswith(os.path.realpath(os.environ.get("TMPDIR", "/tmp"))) and "forge-audit-sandbox-" in cwd
    assert b"-I" in cmdline
    assert not Path(cwd).exists(), "the private working directory is removed"


def test_replay_budget_option_and_escaped_trace(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    app = write(tmp_path / "app", {"manifest.yml": MANIFEST, "src/index.js": LEAK.replace(
        "return issues[payload.issueKey];",
        "await api.asApp().requestJira('/rest/api/3/\\x1b]0;owned\\x07'); return issues[payload.issueKey];")})
    out = CliRunner().invoke(main, ["scan", str(app), "--no-config", "--format", "json", "--confirm",
                                    "--replay-budget", "0"])
    finding = next(f for f in json.loads(out.output)["findings"] if f["rule"] == "tenant/global-state")
    assert "replay budget" in finding["properties"]["confirmation"]["reason"]
    traced = CliRunner().invoke(main, ["replay", str(app), "--function", "resolver", "--resolver", "getIssue",
                                       "--payload", '{"issueKey": "PROJ-1"}'])
    assert traced.exit_code == 0, traced.output
    assert "\x1b" not in traced.output and "\x07" not in traced.output and "\\x1b]0;owned" in traced.output
