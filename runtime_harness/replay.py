"""Confirm tenant/global-state findings by replaying two tenants through real V8 isolates.

For a finding, tenant A invokes the entry point that writes the state, then
tenant B invokes the one that reads it, with the same keys (both ask for
PROJ-1) and API stubs answering each tenant with its own canary. In one
shared isolate (today's runtimes reuse the process) B must see A's canary;
with a fresh isolate per invocation (the legacy model) it must not; and the
canary must travel through the state the finding names: with that state
reset to a freshly initialised value before B's step the leak must
disappear (or, where it cannot be reset, the state must hold A's canary
after A's step). All runs of an app happen in sandbox children
(runtime_harness.session) with a heap and process memory limit, a timeout
per call, and a share of the scan's replay budget per finding.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
import os
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from auditor.model import Finding, Location
from auditor.safe_read import Unreadable, read_file
from auditor.parsing import text
from runtime_harness import payloads, probes
from runtime_harness.probes import Probe
from runtime_harness.session import Session
from runtime_harness.transform import transform

ENTRY_KINDS = ("webtrigger", "trigger", "consumer", "scheduledTrigger")
MAX_PACKAGE_BYTES = 2 * 1024 * 1024
_ESM_HINT = (b"import ", b"export ", b"import{", b"export{", b"import(")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 256 * 1024 * 1024
    call_timeout: float = 5.0
    budget: float = 300.0          # seconds of replay for the whole scan (--replay-budget)


class Budget:
    """The scan's replay time: each finding gets a share of what is left."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass
class Invocation:
    entry: str
    file: str            # the handler file as the sandbox knows it (app-relative, see sandbox_path)
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


def sandbox_path(facts, path: Path) -> str:
    """Files are known to the sandbox by their path inside the app (`/src/index.js`): no host path
    reaches app code, its error messages or the reports."""
    try:
        return "/" + path.resolve().relative_to(facts.app.root.resolve()).as_posix()
    except ValueError:
        return "/" + path.name


# -- what the sandbox loads -------------------------------------------------------------

def prepare_files(facts, state_probes: list[Probe] = ()) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """CommonJS source of every backend module (with the probes of the judged states), the reason a
    module could not be prepared, and where the grammar could not parse a module (said when V8 does
    not compile it either); all keyed by sandbox path. A module that could not be prepared still
    exists: loading it throws its reason, so whatever imports it fails naming the module."""
    edits: dict[Path, list] = {}
    for probe in state_probes:
        if probe.path is not None:
            edits.setdefault(probe.path, []).extend(probe.edits)
    files, problems, hints = {}, {}, {}
    for path, info in facts.graph.modules.items():
        data = probes.apply(info.parsed.data, edits.get(path, []))
        needs = path.suffix in (".ts", ".tsx", ".mts", ".cts") or any(h in data for h in _ESM_HINT)
        name = sandbox_path(facts, path)
        if not needs:
            files[name] = data.decode("utf-8", "replace")
            continue
        try:
            result = transform(data, path.suffix)
        except Exception as exc:  # a transform defect on odd input: say so, never stop the scan
            problems[name] = f"{name} could not be transformed: {type(exc).__name__}: {exc}"
            files[name] = f"throw new Error({json.dumps(problems[name])});"
            continue
        files[name] = result.code
        if result.problems:
            hints[name] = result.problems[0]
    _add_json_modules(facts, files)
    return files, problems, hints


_JSON_SPECIFIER = re.compile(rb"""(?:from\s*|require\(\s*)['"](\.{1,2}/[^'"\n]+?\.json)['"]""")


def _add_json_modules(facts, files: dict[str, str]) -> None:
    """The app's JSON files its modules import (`import data from './data.json'`), as modules: a file that
    exists is never reported missing. Read with the safe reader, inside the app only."""
    root = facts.app.root.resolve()
    for path, info in facts.graph.modules.items():
        for match in _JSON_SPECIFIER.finditer(info.parsed.data):
            target = path.parent / match.group(1).decode("utf-8", "replace")
            name = sandbox_path(facts, target)
            if name in files or not target.exists():
                continue
            try:
                value = json.loads(read_file(target, root, 1 << 20))
            except (Unreadable, ValueError) as exc:
                files[name] = f"throw new Error({json.dumps(f'{name} could not be read as JSON: {exc}')});"
                continue
            files[name] = f"module.exports = {json.dumps(value)};"


def prepare_packages(facts, files: dict[str, str]) -> dict[str, str]:
    """Plain-JS packages present in the app's node_modules, added to ``files``; name -> entry file.
    Every file is read with the safe reader: a regular file, inside the package's real folder, which
    must itself be inside the app (a symlink to a secret or to /dev/zero is never read)."""
    found: dict[str, str] = {}
    budget = MAX_PACKAGE_BYTES
    app_root = facts.app.root.resolve()
    names = {str(n)[4:] for n in facts.graph.graph.nodes if isinstance(n, str) and n.startswith("pkg:")}
    for name in sorted(names):
        base = name.replace("node:", "")
        if base.startswith(".") or base.startswith("@forge/"):
            continue
        package = "/".join(base.split("/")[:2] if base.startswith("@") else base.split("/")[:1])
        folder = facts.app.root / "node_modules" / package
        try:
            real = folder.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if not real.is_relative_to(app_root):
            continue
        try:
            meta = json.loads(read_file(folder / "package.json", real, 1 << 20))
        except (Unreadable, ValueError):
            continue
        main = meta.get("main") if isinstance(meta, dict) and isinstance(meta.get("main"), str) else "index.js"
        target = PurePosixPath(base[len(package) + 1:] if base != package else main)
        sources: dict[str, str] = {}
        for js in _package_files(real):
            try:
                data = read_file(real / js, real, budget)
            except Unreadable:
                continue
            budget -= len(data)
            sources[js] = data.decode("utf-8", "replace")
        entry = next((c for c in _entry_candidates(target) if c in sources), None)
        if entry is None:
            continue
        files.update({f"/node_modules/{package}/{js}": code for js, code in sources.items()})
        found[base] = f"/node_modules/{package}/{entry}"
    return found


def _package_files(real: Path) -> Iterator[str]:
    """The package's own .js files (not its nested node_modules), relative, without following links."""
    for dirpath, dirnames, filenames in os.walk(real):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
        for name in sorted(filenames):
            if name.endswith(".js"):
                yield (Path(dirpath) / name).relative_to(real).as_posix()


def _entry_candidates(target: PurePosixPath) -> list[str]:
    normal = PurePosixPath(os.path.normpath(str(target))).as_posix().removeprefix("./")
    return [normal, normal + ".js", f"{normal}/index.js", normal.removesuffix(".js") + ".js"]


def response_shapes() -> dict[str, list[list[str]]]:
    """For the API stubs: product -> [[METHOD, anchored path regex, shape]] from the bundled catalog."""
    from rules import catalog

    return {product: [[method, "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) + "$", shape]
                      for method, path, shape in rows]
            for product, rows in catalog.responses().items()}


def _header(facts, limits: Limits, state_probes: list[Probe] = ()) -> tuple[dict, dict[str, str]]:
    files, problems, hints = prepare_files(facts, state_probes)
    packages = prepare_packages(facts, files)
    return ({"files": files, "hints": hints, "packages": packages, "shapes": response_shapes(),
             "limits": {"memory_bytes": limits.memory_bytes, "call_timeout": limits.call_timeout}}, problems)


# -- planning -------------------------------------------------------------------------

def invocation(facts, entry_id: str, bundle: str | None = None) -> Invocation | str:
    """How to invoke entry ``entry_id`` (of handler file ``bundle``, app-relative, when given)."""
    entry = next((e for e in facts.entries.entries if e.id == entry_id and
                  (bundle is None or e.bundle is not None and sandbox_path(facts, e.bundle) == "/" + bundle)), None)
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
        location = facts.graph.modules[entry.file].parsed.location(entry.node)
    elif entry.site is not None and entry.site_file is not None:  # a wrapped handler: where it is registered
        location = facts.graph.modules[entry.site_file].parsed.location(entry.site)
    return Invocation(entry_id, sandbox_path(facts, Path(str(function.handler_file))), export, resolver_key, kind,
                      source, params, location)
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


def pairs(finding: Finding) -> Iterator[tuple[str, str]]:
    """(writer, reader) entry pairs worth replaying, most likely first, made one at a time: the same
    entry as writer and reader (a cache read back by its own handler), then the others. Only entries
    of one handler file share module state (``sharedBy``: each bundle's entries), so a pair never
    spans two bundles."""
    writers = finding.properties.get("writerEntryPoints") or []
    readers = finding.properties.get("readerEntryPoints") or writers
    reading = set(readers)
    yield from ((w, w) for w in writers if w in reading and _bundle(finding, w, w) is not False)
    yield from ((w, r) for w in writers for r in readers if w != r and _bundle(finding, w, r) is not False)


def _bundle(finding: Finding, writer: str, reader: str) -> str | None | bool:
    """The handler file whose bundle holds both entries; None when the finding names no bundles,
    False when none holds both."""
    shared = finding.properties.get("sharedBy")
    if not shared:
        return None
    return next((bundle for bundle, ids in shared.items() if writer in ids and reader in ids), False)


def make_plan(finding: Finding, writer: Invocation, reader: Invocation) -> Plan:
    a, b = tenant("A"), tenant("B")
    planned = Plan(finding, writer, reader, (a, b))
    planned.payloads = {
        "A": payloads.payload_for(writer.kind, writer.source, writer.params, a),
        "B": payloads.payload_for(reader.kind, reader.source, reader.params, b),
    }
    return planned


# -- running and judging ----------------------------------------------------------------

@dataclass
class Verdict:
    confirmed: bool
    reason: str = ""
    details: dict = field(default_factory=dict)
    plan: Plan | None = None


def confirm(facts, findings: list[Finding], limits: Limits = Limits(), budget: Budget | None = None) -> None:
    """Replay every error/warning tenant/global-state finding of one app; record the outcome."""
    targets = [f for f in findings if f.rule_id == "tenant/global-state" and f.level in ("error", "warning")]
    if not targets:
        return
    budget = budget or Budget(limits.budget)
    firsts = {(f.location, f.properties.get("state")): f for f in reversed(targets)}  # one probe per state
    states = {key: probes.probe_for(f, n, facts.graph.modules) for n, (key, f) in enumerate(firsts.items())}
    header, problems = _header(facts, limits, [p for p in states.values() if isinstance(p, Probe)])
    known: dict[tuple[str, str | None], Invocation | str] = {}
    with Session(header) as session:
        for index, finding in enumerate(targets):
            probe = states[(finding.location, finding.properties.get("state"))]
            if isinstance(probe, str):
                _unconfirmed(finding, f"the replay cannot observe the state: {probe}")
                continue
            share = budget.left() / (len(targets) - index)
            _confirm_one(session, facts, finding, probe, problems, known, time.monotonic() + share)


def _confirm_one(session: Session, facts, finding: Finding, probe: Probe, problems: dict[str, str],
                 known: dict[tuple[str, str | None], Invocation | str], deadline: float) -> None:
    """Try pairs until one confirms, MAX_PAIRS are tried or the finding's share of the budget is gone."""
    attempts: list[dict] = []
    first: Verdict | None = None
    for writer_id, reader_id in pairs(finding):
        if len(attempts) == MAX_PAIRS:
            break
        bundle = _bundle(finding, writer_id, reader_id) or None
        for entry in (writer_id, reader_id):
            if (entry, bundle) not in known:
                known[(entry, bundle)] = invocation(facts, entry, bundle)
        writer, reader = known[(writer_id, bundle)], known[(reader_id, bundle)]
        unusable = next((x for x in (writer, reader) if isinstance(x, str)), None) or \
            problems.get(writer.file) or problems.get(reader.file)
        out_of_time = deadline <= time.monotonic()
        if unusable or out_of_time:
            verdict = Verdict(False, unusable or "the finding's share of the replay budget (--replay-budget) "
                                                 "was used up before this pair could run")
        else:
            verdict = attempt(session, make_plan(finding, writer, reader), probe, deadline)
        attempts.append({"writer": writer_id, "reader": reader_id, "confirmed": verdict.confirmed,
                         "outcome": "confirmed" if verdict.confirmed else verdict.reason})
        first = verdict if verdict.confirmed else first or verdict
        if verdict.confirmed or out_of_time:
            break
    if first is None:
        _unconfirmed(finding, "no entry point was found that writes the state")
        return
    details = dict(first.details, attempts=attempts)
    if first.confirmed:
        _record_confirmation(finding, first.plan, details)
    else:
        _unconfirmed(finding, first.reason, details)


def attempt(session: Session, plan: Plan, probe: Probe, deadline: float) -> Verdict:
    """Replay one (writer, reader) pair: shared isolate, fresh isolates, and the named state reset."""
    a, b = plan.tenants
    steps = [plan.writer.step(a, plan.payloads["A"]), plan.reader.step(b, plan.payloads["B"])]
    left = lambda: deadline - time.monotonic()  # noqa: E731
    shared = session.run({"id": "shared", "steps": steps,
                          "inspect": {"after": 0, "state": probe.id, "canary": a["canary"]}}, left())
    failure = _failure(plan, shared)
    if failure:
        return Verdict(False, failure)
    write_step, read_step = shared["steps"]
    excerpt = _seen(read_step, a["canary"])
    fresh = session.run({"id": "fresh", "fresh": True, "steps": steps}, left())
    fresh_read = fresh["steps"][1] if len(fresh["steps"]) == 2 and fresh["steps"][1]["ok"] else None
    fresh_leak = _seen(fresh_read, a["canary"]) is not None if fresh_read else None
    details = {
        "runtimeModel": "shared process (nodejs runtimes reuse the warm process across tenants)",
        "writer": plan.writer.entry, "reader": plan.reader.entry, "state": plan.finding.properties.get("state"),
        "payloads": plan.payloads, "canary": a["canary"], "tenants": {"A": a["cloudId"], "B": b["cloudId"]},
        "sharedValues": _shared_values(plan, shared["steps"]),
        "observed": excerpt, "freshIsolatePerInvocationLeaks": fresh_leak,
        "behaviourChangedByTenantA": fresh_read is not None and _observable(read_step) != _observable(fresh_read),
        "seconds": round(write_step["seconds"] + read_step["seconds"], 3),
        "sandboxNotes": sorted({n for step in shared["steps"] for n in step.get("notes", [])}),
    }
    if excerpt is None:
        # A changed behaviour alone is not proof of a data leak (a counter would do it too): only
        # tenant A's canary reaching tenant B confirms.
        extra = " (its behaviour did differ from a fresh isolate's)" if details["behaviourChangedByTenantA"] else ""
        return Verdict(False, f"tenant B's {plan.reader.entry} did not receive tenant A's data{extra}; the "
                              "write may need input the replay did not provide", details)
    if fresh_leak:
        return Verdict(False, "tenant A's data also reached tenant B with a fresh isolate per invocation, "
                              "so it did not travel through module state", details)
    carried, how = _through_state(session, plan, steps, probe, shared, left())
    details["throughState"] = how
    if not carried:
        return Verdict(False, how["detail"], details)
    return Verdict(True, "", details, plan)


def _through_state(session: Session, plan: Plan, steps: list[dict], probe: Probe, shared: dict,
                   seconds: float) -> tuple[bool, dict]:
    """Did A's data reach B through the named state? Either resetting the state (its initialiser
    re-evaluated) between A's and B's steps makes the leak go away, or the state held A's data after
    A's step. A reset alone can miss (code that kept a reference to the old value), an inspection
    alone can too (data kept in a closure or a private field): either is evidence, neither is proof
    of the opposite."""
    canary, name = plan.tenants[0]["canary"], plan.finding.properties.get("state")
    shared_read, inspected = shared["steps"][1], shared.get("inspected") or {}
    again = session.run({"id": "reset", "steps": steps, "reset": {"after": 0, "state": probe.id}}, seconds)
    reset = again.get("reset") or {}
    clean = reset.get("reset") and len(again["steps"]) == 2 and all(s["ok"] for s in again["steps"])
    # Each datum the stubs hand out is distinct (canary-<n>, canary:<field>), and A's step runs the same
    # in both runs: what B lost with the state reset is what the state carried.
    lost = _tokens(shared_read, canary) - _tokens(again["steps"][1], canary) if clean else set()
    if lost:
        return True, {"method": "reset", "detail": f"with '{name}' reset to a freshly initialised value "
                                                   f"before tenant B's step, B no longer received "
                                                   f"{', '.join(sorted(lost)[:3])}"}
    if inspected.get("holds"):
        return True, {"method": "inspection", "detail": f"after tenant A's step '{name}' held A's data",
                      "excerpt": inspected.get("excerpt")}
    if clean:
        reset_said = f"B still received A's data with '{name}' reset before its step"
    else:
        reset_said = f"'{name}' could not be reset ({reset.get('error') or _failure(plan, again) or 'no answer'})"
    seen = "its declaration never ran" if not inspected.get("registered") else "it did not hold A's data after A's step"
    return False, {"method": "reset and inspection",
                   "detail": f"tenant A's data reached tenant B, but not through '{name}': {reset_said}, and "
                             f"{seen}"}


def _failure(plan: Plan, shared: dict) -> str | None:
    steps = shared["steps"]
    failed = next((step for step in steps if not step["ok"]), None)
    if failed is None and len(steps) == 2:
        return None
    role, entry = ("reader", plan.reader.entry) if steps and steps[0]["ok"] else ("writer", plan.writer.entry)
    problems = "; ".join(shared["problems"]) if shared["problems"] else "did not run"
    return f"{role} {entry} failed: {failed['error'] if failed else problems}"


def _shared_values(plan: Plan, steps: list[dict]) -> dict[str, Any]:
    """The values both tenants sent alike (the replay assumes tenants ask for the same keys)."""
    same: dict[str, Any] = {}

    def walk(x: Any, y: Any, path: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for key in x.keys() & y.keys():
                walk(x[key], y[key], f"{path}.{key}")
        elif x == y and not isinstance(x, (dict, list)):
            same[path] = x

    walk(plan.payloads["A"], plan.payloads["B"], "payload")
    for step in steps:
        same.update({f"(made up) {name}": value for name, value in step.get("shared", [])})
    return same


def _seen(step: dict | None, canary: str) -> str | None:
    """An excerpt of a step's output around A's canary, if it is there."""
    if step is None:
        return None
    blob = json.dumps({"result": step.get("result"), "calls": step.get("calls")}, ensure_ascii=False)
    at = blob.find(canary)
    if at < 0:
        return None
    return blob[max(0, at - 60):at + len(canary) + 40]


def _tokens(step: dict, canary: str) -> set[str]:
    """The distinct pieces of a tenant's data (canary-<n>, canary:<field path>) in a step's output."""
    blob = json.dumps({"result": step.get("result"), "calls": step.get("calls")}, ensure_ascii=False)
    return set(re.findall(re.escape(canary) + r"(?:-\d+|:[\w.$()\[\]-]*)?", blob))


def _observable(step: dict) -> str:
    """What an invocation showed the world: its result and what it sent (calls), as one string."""
    calls = [{k: v for k, v in call.items() if k != "tenant"} for call in step.get("calls", [])]
    return json.dumps({"result": step.get("result"), "calls": calls}, sort_keys=True)


def _record_confirmation(finding: Finding, plan: Plan, details: dict) -> None:
    a = plan.tenants[0]
    finding.properties["confirmed"] = True
    finding.properties["confirmation"] = details
    legacy = "with a fresh isolate per invocation it did not" if details["freshIsolatePerInvocationLeaks"] is False \
        else "the fresh-isolate comparison did not complete"
    finding.message += (f"; confirmed by replay: after tenant A ran {plan.writer.entry}, tenant B's "
                        f"{plan.reader.entry} returned or sent A's data ({a['canary']}) through "
                        f"'{details['state']}' ({details['throughState']['detail']}); {legacy}.")
    flow = []
    if plan.writer.location is not None:
        flow.append(plan.writer.location.with_message(f"replay: tenant A runs {plan.writer.entry} (writes)"))
    if plan.reader.location is not None:
        flow.append(plan.reader.location.with_message(f"replay: tenant B runs {plan.reader.entry} and gets A's data"))
    if flow:
        finding.code_flows.append(flow)


def _unconfirmed(finding: Finding, reason: str, details: dict | None = None) -> None:
    finding.properties["confirmed"] = False
    finding.properties["confirmation"] = dict(details or {}, reason=reason)


def run_sandbox(job: dict, seconds: float) -> dict:
    """Run every run of ``job`` (its header fields plus ``runs``) within ``seconds`` in all."""
    header = {k: job[k] for k in ("files", "packages", "limits")}
    header["shapes"] = job.get("shapes", {})
    budget = Budget(seconds)
    with Session(header) as session:
        return {"runs": [session.run(run, budget.left()) for run in job["runs"]]}


# -- a developer's trace of one entry point ------------------------------------------------

def trace(facts, entry_id: str, payload: Any, limits: Limits = Limits()) -> str:
    """Replay one entry point for tenant A then tenant B (same payload, one shared isolate, then
    fresh isolates) and describe what each did and whose data it saw."""
    target = invocation(facts, entry_id)
    if isinstance(target, str):
        raise ValueError(target)
    header, problems = _header(facts, limits)
    if target.file in problems:
        raise ValueError(problems[target.file])
    a, b = tenant("A"), tenant("B")
    steps = [target.step(a, payload), target.step(b, payload)]
    budget = Budget(limits.budget)
    with Session(header) as session:
        runs = [session.run({"id": "shared", "steps": steps}, budget.left()),
                session.run({"id": "fresh", "fresh": True, "steps": steps}, budget.left())]
    lines = [f"replay of {entry_id} ({target.file}, export {target.export}) for two tenants",
             f"  tenant A: {a['cloudId']}  canary {a['canary']}",
             f"  tenant B: {b['cloudId']}  canary {b['canary']}",
             f"  payload: {json.dumps(payload)}"]
    for run in runs:
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
