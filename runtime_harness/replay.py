"""Confirm tenant/global-state findings by replaying two tenants through real V8 isolates.

For a finding, tenant A invokes the entry point that writes the state, then
tenant B invokes the one that reads it, with the same keys (both ask for
PROJ-1) and API stubs answering each tenant with its own canary. In one
shared isolate (today's runtimes reuse the process) B must see A's canary for
the finding to be confirmed; with a fresh isolate per invocation (the legacy
model) it must not. All runs of an app happen in one child process
(runtime_harness.sandbox) with a heap limit per isolate, a timeout per call
and one for the whole app.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Finding, Location
from auditor.parsing import text
from runtime_harness import payloads
from runtime_harness.transform import UnsupportedSyntax, transform

ENTRY_KINDS = ("webtrigger", "trigger", "consumer", "scheduledTrigger")
MAX_PACKAGE_BYTES = 2 * 1024 * 1024
_ESM_HINT = (b"import ", b"export ", b"import{", b"export{", b"import(")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 256 * 1024 * 1024
    call_timeout: float = 5.0
    app_timeout: float = 120.0


@dataclass
class Invocation:
    entry: str
    file: str
    export: str
    resolver_key: str | None
    kind: str
    source: str
    params: list[str]
    location: Location | None

    def step(self, tenant: dict, payload: Any) -> dict:
        return {"tenant": tenant, "file": self.file, "export": self.export, "resolverKey": self.resolver_key,
                "payload": payload, "context": payloads.context(tenant), "label": self.entry}


@dataclass
class Plan:
    finding: Finding
    writer: Invocation
    reader: Invocation
    tenants: tuple[dict, dict]
    payloads: dict[str, Any] = field(default_factory=dict)


def tenant(name: str) -> dict:
    token = secrets.token_hex(4)
    return {"id": name, "canary": f"CANARY-{name}-{token}", "installation": f"installation-{name}-{token}",
            "cloudId": f"cloud-{name}-{token}"}


# -- what the sandbox loads -------------------------------------------------------------

def prepare_files(facts) -> tuple[dict[str, str], dict[str, str]]:
    """CommonJS source of every backend module, and the reason a module could not be prepared."""
    files, problems = {}, {}
    for path, info in facts.graph.modules.items():
        data = info.parsed.data
        needs = path.suffix in (".ts", ".tsx", ".mts", ".cts") or any(h in data for h in _ESM_HINT)
        try:
            files[str(path)] = transform(data, path.suffix).code if needs else data.decode("utf-8", "replace")
        except UnsupportedSyntax as exc:
            problems[str(path)] = str(exc)
    return files, problems


def prepare_packages(facts, files: dict[str, str]) -> dict[str, str]:
    """Plain-JS packages present in the app's node_modules, added to ``files``; name -> entry file."""
    found: dict[str, str] = {}
    budget = MAX_PACKAGE_BYTES
    names = {str(n)[4:] for n in facts.graph.graph.nodes if isinstance(n, str) and n.startswith("pkg:")}
    for name in sorted(names):
        base = name.replace("node:", "")
        if base.startswith(".") or base.startswith("@forge/"):
            continue
        package = "/".join(base.split("/")[:2] if base.startswith("@") else base.split("/")[:1])
        root = facts.app.root / "node_modules" / package
        manifest = root / "package.json"
        if not manifest.is_file():
            continue
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        main = meta.get("main") if isinstance(meta.get("main"), str) else "index.js"
        entry = (root / (base[len(package) + 1:] if base != package else main)).resolve()
        candidates = [entry, entry.with_suffix(".js"), entry / "index.js"]
        entry_file = next((c for c in candidates if c.is_file()), None)
        if entry_file is None:
            continue
        for js in sorted(root.rglob("*.js")):
            if "node_modules" in js.relative_to(root).parts:
                continue
            size = js.stat().st_size
            if size > budget:
                break
            budget -= size
            files[str(js.resolve())] = js.read_text(encoding="utf-8", errors="replace")
        if str(entry_file) in files:
            found[base] = str(entry_file)
    return found


def response_shapes() -> dict[str, list[list[str]]]:
    """For the API stubs: product -> [[METHOD, anchored path regex, shape]] from the bundled catalog."""
    from rules import catalog

    return {product: [[method, "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) + "$", shape]
                      for method, path, shape in rows]
            for product, rows in catalog.responses().items()}


# -- planning -------------------------------------------------------------------------

def invocation(facts, entry_id: str) -> Invocation | str:
    entry = next((e for e in facts.entries.entries if e.id == entry_id), None)
    if entry is None:
        return f"entry point {entry_id} not found"
    function = facts.manifest.functions.get(entry.function_key) if facts.manifest else None
    if function is None or function.handler is None or function.handler_file is None:
        return f"function '{entry.function_key}' has no handler file"
    export = function.handler.rsplit(".", 1)[1]
    resolver_key = entry_id.split(":", 1)[1] if entry_id.startswith("resolver:") else None
    kind = "resolver" if resolver_key else next((k for k in ENTRY_KINDS if k in entry.invoked_by), "function")
    source, params, location = "", [], None
    if entry.node is not None:
        source = text(entry.node)
        params = _payload_names(entry.node, resolver=resolver_key is not None)
        parsed = facts.graph.modules[entry.file].parsed
        location = parsed.location(entry.node)
    return Invocation(entry_id, str(function.handler_file), export, resolver_key, kind, source, params, location)


def _payload_names(fn, resolver: bool) -> list[str]:
    params = fn.child_by_field_name("parameters")
    first = params.named_children[0] if params is not None and params.named_children else \
        fn.child_by_field_name("parameter")
    if first is None:
        return []
    first = first.child_by_field_name("pattern") or first
    if first.type == "identifier":
        return [f"{text(first)}.payload"] if resolver else [text(first)]
    if first.type == "object_pattern":
        for prop in first.named_children:
            if prop.type == "shorthand_property_identifier_pattern" and text(prop) == "payload":
                return ["payload"]
            if prop.type == "pair_pattern" and text(prop.child_by_field_name("key")) == "payload":
                value = prop.child_by_field_name("value")
                return [text(value)] if value is not None and value.type == "identifier" else []
    return []


MAX_PAIRS = 4


def plan(facts, finding: Finding) -> list[Plan] | str:
    """(writer, reader) pairs worth replaying for a finding, most likely first."""
    writers = finding.properties.get("writerEntryPoints") or []
    readers = finding.properties.get("readerEntryPoints") or writers
    if not writers:
        return "no entry point was found that writes the state"
    invocations: dict[str, Invocation | str] = {e: invocation(facts, e) for e in dict.fromkeys(writers + readers)}
    plans, reasons = [], []
    # the same entry as writer and reader first (a cache read back by its own handler), then the others
    pairs = [(w, w) for w in writers if w in readers] + [(w, r) for w in writers for r in readers if w != r]
    for writer_id, reader_id in pairs[:MAX_PAIRS]:
        writer, reader = invocations[writer_id], invocations[reader_id]
        if isinstance(writer, str) or isinstance(reader, str):
            reasons.append(writer if isinstance(writer, str) else reader)
            continue
        a, b = tenant("A"), tenant("B")
        planned = Plan(finding, writer, reader, (a, b))
        planned.payloads = {
            "A": payloads.payload_for(writer.kind, writer.source, writer.params, a),
            "B": payloads.payload_for(reader.kind, reader.source, reader.params, b),
        }
        plans.append(planned)
    return plans or (reasons[0] if reasons else "no entry point pair to replay")


# -- running and judging ----------------------------------------------------------------

SETUP_SECONDS = 5.0    # per run: child start, isolate creation, loading the app's files


class _Child:
    """One sandbox process, fed runs one JSON line at a time."""

    def __init__(self, header: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runtime_harness.sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={"PATH": os.defpath, "PYTHONHASHSEED": "0"},
        )
        self.buffer = b""
        try:
            self.proc.stdin.write(json.dumps(header).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the child died at once: the first run reports how it ended

    def run(self, run: dict, seconds: float) -> dict | str:
        """The run's result, or why there is none (the child is then gone or killed)."""
        try:
            self.proc.stdin.write(json.dumps(run).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return self._ended()
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.kill()
                return f"timed out ({seconds:g} s): the code did not finish"
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return self._ended()
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _ended(self) -> str:
        self.kill()
        return f"the sandbox process ended unexpectedly (exit code {self.proc.returncode})"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


def run_sandbox(job: dict, app_timeout: float) -> dict:
    """Run every run of the job in sandbox children: a run that overstays its time is cut off by
    killing its child, and the remaining runs go on in a new one, within the whole-app limit."""
    header = {"files": job["files"], "packages": job["packages"], "limits": job["limits"],
              "shapes": job.get("shapes", {})}
    call_timeout = float(job["limits"]["call_timeout"])
    deadline = time.monotonic() + app_timeout
    results, child = [], None
    try:
        for run in job["runs"]:
            left = deadline - time.monotonic()
            if left <= 0:
                results.append({"id": run["id"], "steps": [],
                                "problems": [f"timed out (whole-app limit {app_timeout:g} s)"]})
                continue
            earlier = next((r for r in results if r["id"] == run.get("after")), None)
            if earlier is not None and earlier.get("killed"):
                results.append({"id": run["id"], "steps": [], "problems": earlier["problems"], "killed": True})
                continue  # the same code would hang again: do not spend the time twice
            child = child or _Child(header)
            budget = min(left, SETUP_SECONDS + call_timeout * len(run["steps"]))
            outcome = child.run(run, budget)
            if isinstance(outcome, str):
                child = None
                if budget == left:
                    outcome = outcome.replace("timed out (", "timed out (whole-app limit ", 1)
                outcome = {"id": run["id"], "steps": [], "killed": True, "problems": [outcome]}
            results.append(outcome)
    finally:
        if child is not None:
            child.close()
    return {"runs": results}


def _steps(plan: Plan) -> list[dict]:
    a, b = plan.tenants
    return [plan.writer.step(a, plan.payloads["A"]), plan.reader.step(b, plan.payloads["B"])]


def confirm(facts, findings: list[Finding], limits: Limits = Limits()) -> None:
    """Replay every error/warning tenant/global-state finding of one app; record the outcome."""
    targets = [f for f in findings if f.rule_id == "tenant/global-state" and f.level in ("error", "warning")]
    if not targets:
        return
    files, problems = prepare_files(facts)
    packages = prepare_packages(facts, files)
    plans: dict[int, list[Plan]] = {}
    runs = []
    for index, finding in enumerate(targets):
        planned = plan(facts, finding)
        if isinstance(planned, str):
            _unconfirmed(finding, planned)
            continue
        usable = [p for p in planned if not (problems.get(p.writer.file) or problems.get(p.reader.file))]
        if not usable:
            _unconfirmed(finding, problems.get(planned[0].writer.file) or problems[planned[0].reader.file])
            continue
        plans[index] = usable
        for n, pair in enumerate(usable):
            steps = _steps(pair)
            runs += [{"id": f"{index}.{n}:shared", "steps": steps},
                     {"id": f"{index}.{n}:fresh", "fresh": True, "steps": steps, "after": f"{index}.{n}:shared"}]
    if not runs:
        return
    job = {"files": files, "packages": packages, "runs": runs, "shapes": response_shapes(),
           "limits": {"memory_bytes": limits.memory_bytes, "call_timeout": limits.call_timeout}}
    outcome = run_sandbox(job, limits.app_timeout)
    by_id = {run["id"]: run for run in outcome["runs"]}
    for index, pairs in plans.items():
        # every pair is judged until one confirms; the first pair's reason stands otherwise
        for n, pair in reversed(list(enumerate(pairs))):
            judge(pair, by_id.get(f"{index}.{n}:shared"), by_id.get(f"{index}.{n}:fresh"))
            if pair.finding.properties.get("confirmed"):
                break


def _seen(step: dict, canary: str) -> str | None:
    """An excerpt of B's output around A's canary, if it is there."""
    blob = json.dumps({"result": step.get("result"), "calls": step.get("calls")}, ensure_ascii=False)
    at = blob.find(canary)
    if at < 0:
        return None
    return blob[max(0, at - 60):at + len(canary) + 40]


def judge(plan: Plan, shared: dict | None, fresh: dict | None) -> None:
    a, b = plan.tenants
    finding = plan.finding
    steps = shared["steps"] if shared else []
    failed = next((step for step in steps if not step["ok"]), None)
    if failed is not None or len(steps) < 2:
        role, entry = ("reader", plan.reader.entry) if steps and steps[0]["ok"] else ("writer", plan.writer.entry)
        problems = "; ".join(shared["problems"]) if shared and shared["problems"] else "did not run"
        _unconfirmed(finding, f"{role} {entry} failed: {failed['error'] if failed else problems}")
        return
    write_step, read_step = steps
    excerpt = _seen(read_step, a["canary"])
    fresh_read = fresh["steps"][1] if fresh is not None and len(fresh["steps"]) == 2 else None
    fresh_leak = _seen(fresh_read, a["canary"]) is not None if fresh_read and fresh_read["ok"] else None
    diverged = fresh_read is not None and fresh_read["ok"] and _observable(read_step) != _observable(fresh_read)
    notes = sorted({n for step in shared["steps"] for n in step.get("notes", [])})
    details = {
        "runtimeModel": "shared process (nodejs runtimes reuse the warm process across tenants)",
        "writer": plan.writer.entry, "reader": plan.reader.entry,
        "payloads": plan.payloads, "canary": a["canary"], "tenants": {"A": a["cloudId"], "B": b["cloudId"]},
        "observed": excerpt, "freshIsolatePerInvocationLeaks": fresh_leak,
        "seconds": round(write_step["seconds"] + read_step["seconds"], 3), "sandboxNotes": notes,
    }
    if fresh_leak:
        _unconfirmed(finding, "tenant A's data also reached tenant B with a fresh isolate per invocation, "
                              "so it did not travel through module state", details)
        return
    details["behaviourChangedByTenantA"] = diverged
    if excerpt is None:
        # A changed behaviour alone is not proof of a data leak (a counter would do it too): only
        # tenant A's canary reaching tenant B confirms.
        extra = " (its behaviour did differ from a fresh isolate's)" if diverged else ""
        _unconfirmed(finding, f"tenant B's {plan.reader.entry} did not receive tenant A's data{extra}; the "
                              "write may need input the replay did not provide", details)
        return
    finding.properties["confirmed"] = True
    finding.properties["confirmation"] = details
    legacy = "with a fresh isolate per invocation it did not" if fresh_leak is False else \
        "the fresh-isolate comparison did not complete"
    finding.message += (f"; confirmed by replay: after tenant A ran {plan.writer.entry}, tenant B's "
                        f"{plan.reader.entry} returned or sent A's data ({a['canary']}); {legacy}.")
    flow = []
    if plan.writer.location is not None:
        flow.append(plan.writer.location.with_message(f"replay: tenant A runs {plan.writer.entry} (writes)"))
    if plan.reader.location is not None:
        flow.append(plan.reader.location.with_message(f"replay: tenant B runs {plan.reader.entry} and gets A's data"))
    if flow:
        finding.code_flows.append(flow)


def _observable(step: dict) -> str:
    """What an invocation showed the world: its result and what it sent (calls), as one string."""
    calls = [{k: v for k, v in call.items() if k != "tenant"} for call in step.get("calls", [])]
    return json.dumps({"result": step.get("result"), "calls": calls}, sort_keys=True)


def _unconfirmed(finding: Finding, reason: str, details: dict | None = None) -> None:
    finding.properties["confirmed"] = False
    finding.properties["confirmation"] = dict(details or {}, reason=reason)


# -- a developer's trace of one entry point ------------------------------------------------

def trace(facts, entry_id: str, payload: Any, limits: Limits = Limits()) -> str:
    """Replay one entry point for tenant A then tenant B (same payload, one shared isolate, then
    fresh isolates) and describe what each did and whose data it saw."""
    target = invocation(facts, entry_id)
    if isinstance(target, str):
        raise ValueError(target)
    files, problems = prepare_files(facts)
    if target.file in problems:
        raise ValueError(problems[target.file])
    a, b = tenant("A"), tenant("B")
    steps = [target.step(a, payload), target.step(b, payload)]
    job = {"files": files, "packages": prepare_packages(facts, files), "shapes": response_shapes(),
           "runs": [{"id": "shared", "steps": steps}, {"id": "fresh", "fresh": True, "steps": steps}],
           "limits": {"memory_bytes": limits.memory_bytes, "call_timeout": limits.call_timeout}}
    outcome = run_sandbox(job, limits.app_timeout)
    lines = [f"replay of {entry_id} ({target.file}, export {target.export}) for two tenants",
             f"  tenant A: {a['cloudId']}  canary {a['canary']}",
             f"  tenant B: {b['cloudId']}  canary {b['canary']}",
             f"  payload: {json.dumps(payload)}"]
    for run in outcome["runs"]:
        model = "one shared isolate (process reuse)" if run["id"] == "shared" else "a fresh isolate per invocation"
        lines.append(f"\n{model}:")
        lines += [f"  problem: {p}" for p in run["problems"]]
        for step in run["steps"]:
            lines.append(f"  tenant {step['tenant']} {step['entry']} ({step['seconds']} s): "
                         + ("ok" if step["ok"] else f"failed: {step['error']}"))
            for call in step.get("calls", []):
                what = call.get("path") or call.get("url") or call.get("key") or call.get("module") or call.get("name")
                lines.append(f"    {call['kind']:<9} {call.get('method') or call.get('op') or ''} {what}")
            if step["ok"]:
                lines.append(f"    returned {step['result'][:200]}")
                seen = [t["id"] for t in (a, b) if t["canary"] in json.dumps(step)]
                lines.append(f"    canaries seen: {', '.join(seen) or 'none'}"
                             + ("   <-- tenant A's data reached tenant B" if step["tenant"] == "B" and "A" in seen else ""))
        notes = sorted({n for step in run["steps"] for n in step.get("notes", [])})
        lines += [f"  note: {n}" for n in notes]
    return "\n".join(lines) + "\n"
