"""Confirm tenant/global-state findings by replaying two tenants through real V8 isolates.

For a finding, tenant A invokes the entry point that writes the state, then
tenant B invokes the one that reads it, with the same keys (both ask for
PROJ-1) and API stubs answering each tenant with its own canary. In one
shared isolate (today's runtimes reuse the process) B must see A's canary;
with a fresh isolate per invocation (the legacy model) it must not; and the
canary must travel through the state the finding names: with that state
reset to a freshly initialised value before B's step the leak must
disappear (or, where it cannot be reset, the state must hold A's canary
after A's step). Without a canary, a change in B's output that the state
caused is recorded as "influenced", never as a confirmation (OUTCOMES).
(Writer, reader) pairs are tried best first until one confirms (``pairs``).
All runs of an app happen in sandbox children
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

import tree_sitter

from auditor.facts.entrypoints import MAX_CALL_DEPTH
from auditor.facts.values import Values, Where
from auditor.model import Finding, Location
from auditor.safe_read import Unreadable, read_file
from auditor.parsing import text
from runtime_harness import payloads, probes, stub_data
from runtime_harness.probes import Probe
from runtime_harness.session import Session
from runtime_harness.transform import transform

ENTRY_KINDS = ("webtrigger", "trigger", "consumer", "scheduledTrigger", "jira:jqlFunction")
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
    context_params: list[str] = field(default_factory=list)  # the names the entry reads its context from
    constants: dict[str, str] = field(default_factory=dict)   # compared names' values (`TriageAction.Refresh`)

    def step(self, tenant: dict, payload: Any, variant: int | None = 0) -> dict:
        return {"tenant": tenant, "file": self.file, "export": self.export, "resolverKey": self.resolver_key,
                "payload": payload,
                "context": payloads.context(tenant, self.source, self.context_params, variant, self.constants),
                "label": self.entry}


@dataclass
class Plan:
    finding: Finding
    writer: Invocation
    reader: Invocation
    tenants: tuple[dict, dict]
    payloads: dict[str, Any] = field(default_factory=dict)
    variant: int | None = 0   # see payloads.variants
    # Invocations of tenant A before its writer: entries that fill other state the write depends on
    warmup: tuple[Invocation, ...] = ()


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

def prepare_files(facts, state_probes: list[Probe] = ()
                  ) -> tuple[dict[str, str], dict[str, str], dict[str, str], list[str]]:
    """CommonJS source of every backend module (with the probes of the judged states), the reason a
    module could not be prepared, and where the grammar could not parse a module (said when V8 does
    not compile it either); all keyed by sandbox path; and what the transform left out ("m.ts:
    decorators of the anonymous class at line 4 were ignored"). A module that could not be prepared
    still exists: loading it throws its reason, so whatever imports it fails naming the module."""
    edits: dict[Path, list] = {}
    for probe in state_probes:
        if probe.path is not None:
            edits.setdefault(probe.path, []).extend(probe.edits)
    files, problems, hints, notes = {}, {}, {}, []
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
        notes += [f"{name}: {note}" for note in result.notes]
    _add_json_modules(facts, files)
    return files, problems, hints, notes


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


def _header(facts, limits: Limits, state_probes: list[Probe] = ()) -> tuple[dict, dict[str, str], list[str]]:
    files, problems, hints, notes = prepare_files(facts, state_probes)
    packages = prepare_packages(facts, files)
    return ({"files": files, "hints": hints, "packages": packages, "shapes": stub_data.sandbox_data(facts),
             "limits": {"memory_bytes": limits.memory_bytes, "call_timeout": limits.call_timeout}},
            problems, notes)


# -- planning -------------------------------------------------------------------------

def invocation(facts, entry_id: str, bundle: str | None = None, values: Values | None = None) -> Invocation | str:
    """How to invoke entry ``entry_id`` (of handler file ``bundle``, app-relative, when given); ``values``
    answers what the names the entry compares its input with stand for."""
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
    source, params, context_params, constants, location = "", [], [], {}, None
    if entry.node is not None:
        source = text(entry.node)
        params = _payload_names(entry.node, resolver=resolver_key is not None)
        context_params = _context_names(entry.node, resolver=resolver_key is not None)
        constants = _compared_constants(entry.node, entry.file, values or Values(
            [info.parsed for info in facts.graph.modules.values()], facts.graph))
        location = facts.graph.modules[entry.file].parsed.location(entry.node)
    elif entry.site is not None and entry.site_file is not None:  # a wrapped handler: where it is registered
        location = facts.graph.modules[entry.site_file].parsed.location(entry.site)
    return Invocation(entry_id, sandbox_path(facts, Path(str(function.handler_file))), export, resolver_key, kind,
                      source, params, location, context_params, constants)


def _compared_constants(fn: tree_sitter.Node, path: Path, values: Values) -> dict[str, str]:
    """What the names an entry compares with stand for (`case TriageAction.Refresh:` with an enum or a
    constant of another file), by their text: the payload builder reads the entry's code as text."""
    found: dict[str, str] = {}
    stack = [fn]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        operands = []
        if node.type == "switch_case":
            operands = [node.child_by_field_name("value")]
        elif node.type == "binary_expression" and text(node.child_by_field_name("operator")) in stub_data.EQUALITY:
            operands = [node.child_by_field_name("left"), node.child_by_field_name("right")]
        for operand in operands:
            if operand is not None and operand.type in ("identifier", "member_expression") and \
                    text(operand) not in found:
                value = values.string(operand, Where(path))
                if value is not None:
                    found[text(operand)] = value
    return found


def _parameter(fn, index: int):
    """The binding of ``fn``'s ``index``-th parameter (its pattern, without type or default)."""
    params = fn.child_by_field_name("parameters")
    found = params.named_children if params is not None else \
        [p for p in [fn.child_by_field_name("parameter")] if p is not None]
    found = [p for p in found if p.type not in ("comment", "this")]
    if len(found) <= index:
        return None
    node = found[index].child_by_field_name("pattern") or found[index]
    return node.child_by_field_name("left") if node.type == "assignment_pattern" else node


def _request_field(fn, name: str) -> list[str]:
    """The names a resolver's request field (`payload`, `context`) is read through: `req.payload`,
    `{ payload }`, `{ payload: p }`."""
    first = _parameter(fn, 0)
    if first is None:
        return []
    if first.type == "identifier":
        return [f"{text(first)}.{name}"]
    if first.type == "object_pattern":
        for prop in first.named_children:
            if prop.type == "shorthand_property_identifier_pattern" and text(prop) == name:
                return [name]
            if prop.type == "pair_pattern" and text(prop.child_by_field_name("key")) == name:
                value = prop.child_by_field_name("value")
                return [text(value)] if value is not None and value.type == "identifier" else []
    return []


def _payload_names(fn, resolver: bool) -> list[str]:
    """Where an entry reads its payload: a resolver's `req.payload`, a function's first parameter
    (`{ payload }` of one too: a function wrapped into a resolver-style handler)."""
    first = _parameter(fn, 0)
    if resolver or first is not None and first.type == "object_pattern":
        return _request_field(fn, "payload")
    return [text(first)] if first is not None and first.type == "identifier" else []


def _context_names(fn, resolver: bool) -> list[str]:
    """Where an entry reads its context: a resolver's `req.context`, a function's second parameter."""
    first = _parameter(fn, 0)
    if resolver or first is not None and first.type == "object_pattern":
        return _request_field(fn, "context")
    second = _parameter(fn, 1)
    return [text(second)] if second is not None and second.type == "identifier" else []


MAX_PAIRS = 40  # a hard cap per finding; the finding's share of --replay-budget usually ends it first
MAX_WARMUP = 5        # other writers tenant A runs before its writer, in the last tries
MAX_WARMUP_PAIRS = 3  # pairs that ran tried again that way


def directness(facts, finding: Finding) -> dict[str, int]:
    """Entry id -> calls between the entry's own function and the nearest write of the finding's state
    that stores tenant data (0: the handler writes it itself)."""
    name = finding.properties.get("state")
    state = next((s for s in facts.state if s.declaration == finding.location and s.name == name), None)
    if state is None or facts.graph is None:
        return {}
    found: dict[str, int] = {}
    for write in [w for w in state.writes if w.tainted is not None and not w.tenant_keyed] or state.writes:
        for entry, hops in facts.entries.hops(write.node, write.location.path, facts.graph).items():
            found[entry.id] = min(hops, found.get(entry.id, hops))
    return found


def pairs(finding: Finding, hops: dict[str, int] | None = None,
          threw: set[str] | frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """(writer, reader) entry pairs worth replaying, best first, chosen one at a time so that what the
    replays so far showed counts: pairs of entries that have not thrown (``threw``, which the caller
    updates between pairs: payload validation, a stub the code cannot use) before those that have;
    writers whose own function reaches a write in fewer calls (``hops``) first; the same entry as
    writer and reader (a cache read back by its own handler) before two entries; then by name. At
    most MAX_PAIRS, from the MAX_PAIRS best-placed writers and readers, so thousands of entries
    cost no more than a few. Only entries of one handler file share module state (``sharedBy``: each
    bundle's entries), so a pair never spans two bundles."""
    hops = hops or {}
    far = MAX_CALL_DEPTH + 1
    writers = finding.properties.get("writerEntryPoints") or []
    readers = finding.properties.get("readerEntryPoints") or writers
    writers = sorted(writers, key=lambda w: (hops.get(w, far), w))[:MAX_PAIRS]
    readers = sorted(readers, key=lambda r: (r not in writers, r))[:MAX_PAIRS]
    left = [(w, r) for w in writers for r in readers if _bundle(finding, w, r) is not False]

    def rank(pair: tuple[str, str]) -> tuple:
        w, r = pair
        return ((w in threw) + (r in threw), hops.get(w, far), w != r, w, r)

    for _ in range(MAX_PAIRS):
        if not left:
            return
        best = min(left, key=rank)
        left.remove(best)
        yield best


def _bundle(finding: Finding, writer: str, reader: str) -> str | None | bool:
    """The handler file whose bundle holds both entries; None when the finding names no bundles,
    False when none holds both."""
    shared = finding.properties.get("sharedBy")
    if not shared:
        return None
    return next((bundle for bundle, ids in shared.items() if writer in ids and reader in ids), False)


def make_plan(finding: Finding, writer: Invocation, reader: Invocation, variant: int | None = 0,
              warmup: tuple[Invocation, ...] = ()) -> Plan:
    a, b = tenant("A"), tenant("B")
    planned = Plan(finding, writer, reader, (a, b), variant=variant, warmup=warmup)
    planned.payloads = {
        "A": payloads.payload_for(writer.kind, writer.source, writer.params, a, variant, writer.constants),
        "B": payloads.payload_for(reader.kind, reader.source, reader.params, b, variant, reader.constants),
    }
    return planned


# -- running and judging ----------------------------------------------------------------

# What a replay showed, best first (confirmation.outcome, and each attempt's): tenant A's canary reached
# tenant B through the named state; B's output differed from a fresh isolate's because of that state, but
# carried none of A's data; the pair ran and showed neither; no pair could run.
OUTCOMES = ("confirmed", "influenced", "not-confirmed", "not-run")
MAX_OUTPUT = 400  # characters of each output an influenced finding records


@dataclass
class Verdict:
    outcome: str
    reason: str = ""
    details: dict = field(default_factory=dict)
    plan: Plan | None = None
    threw: tuple[str, ...] = ()  # the entries whose step failed

    @property
    def confirmed(self) -> bool:
        return self.outcome == "confirmed"


def confirm(facts, findings: list[Finding], limits: Limits = Limits(), budget: Budget | None = None) -> None:
    """Replay every error/warning tenant/global-state and code/prototype-pollution finding of one app;
    record the outcome."""
    targets = [f for f in findings if f.rule_id == "tenant/global-state" and f.level in ("error", "warning")]
    polluting = [f for f in findings if f.rule_id == "code/prototype-pollution" and f.level in ("error", "warning")]
    if not targets and not polluting:
        return
    budget = budget or Budget(limits.budget)
    threw: set[str] = set()  # entries whose replay failed, for every finding of the app
    firsts = {(f.location, f.properties.get("state")): f for f in reversed(targets)}  # one probe per state
    states = {key: probes.probe_for(f, n, facts.graph.modules) for n, (key, f) in enumerate(firsts.items())}
    header, problems, notes = _header(facts, limits, [p for p in states.values() if isinstance(p, Probe)])
    known: dict[tuple[str, str | None], Invocation | str] = {}
    values = Values([info.parsed for info in facts.graph.modules.values()], facts.graph)
    writers = list(dict.fromkeys(w for f in targets for w in f.properties.get("writerEntryPoints") or []))
    with Session(header) as session:
        for index, finding in enumerate(targets):
            probe = states[(finding.location, finding.properties.get("state"))]
            if isinstance(probe, str):
                _unconfirmed(finding, f"the replay cannot observe the state: {probe}", "not-run")
                continue
            share = budget.left() / (len(targets) + len(polluting) - index)
            _confirm_one(session, facts, finding, probe, problems, known, threw, time.monotonic() + share, values,
                         writers)
        for index, finding in enumerate(polluting):
            share = budget.left() / (len(polluting) - index)
            _confirm_pollution(session, facts, finding, problems, values, time.monotonic() + share)
    for finding in targets if notes else ():  # the replayed code is not quite the app's: say where
        finding.properties["confirmation"]["transformNotes"] = notes


def _confirm_one(session: Session, facts, finding: Finding, probe: Probe, problems: dict[str, str],
                 known: dict[tuple[str, str | None], Invocation | str], threw: set[str], deadline: float,
                 values: Values, writers: list[str]) -> None:
    """Try pairs, best first, until one confirms, MAX_PAIRS are tried or the finding's share of the
    budget is gone; record the best outcome (the earliest pair's among equals) and every attempt.
    When every pair ran but B received nothing, the best pair runs once more after tenant A's other
    writers (``writers``: the entries writing any judged state of the app), in case the write needs
    state they fill first (a sprint cached by a refresh trigger before a status request caches its issues)."""
    attempts: list[dict] = []
    best: Verdict | None = None

    def prepared(entry: str, bundle: str | None) -> Invocation | str:
        if (entry, bundle) not in known:
            known[(entry, bundle)] = invocation(facts, entry, bundle, values)
        return known[(entry, bundle)]

    ran: list[tuple[Invocation, Invocation, str | None]] = []
    for writer_id, reader_id in pairs(finding, directness(facts, finding), threw):
        bundle = _bundle(finding, writer_id, reader_id) or None
        writer, reader = prepared(writer_id, bundle), prepared(reader_id, bundle)
        unusable = next((x for x in (writer, reader) if isinstance(x, str)), None) or \
            problems.get(writer.file) or problems.get(reader.file)
        out_of_time = deadline <= time.monotonic()
        if unusable or out_of_time:
            verdict = Verdict("not-run", unusable or "the finding's share of the replay budget (--replay-budget) "
                                                     "was used up before this pair could run")
            threw.update(i for i, x in ((writer_id, writer), (reader_id, reader))
                         if isinstance(x, str) or problems.get(x.file))
        else:
            verdict, failed = None, None
            for variant in payloads.variants(writer.source, writer.params, writer.context_params, writer.constants):
                tried = attempt(session, make_plan(finding, writer, reader, variant), probe, deadline)
                if verdict is None or OUTCOMES.index(tried.outcome) < OUTCOMES.index(verdict.outcome):
                    verdict = tried
                # an entry threw only if it threw in every variant (one rejects `action: 'forget'`, another runs)
                failed = set(tried.threw) if failed is None else failed & set(tried.threw)
                if tried.confirmed or deadline <= time.monotonic():
                    break
            threw.update(failed)
            if not failed:
                ran.append((writer, reader, bundle))
        attempts.append({"writer": writer_id, "reader": reader_id, "confirmed": verdict.confirmed,
                         "outcome": verdict.outcome, "reason": verdict.reason})
        if best is None or OUTCOMES.index(verdict.outcome) < OUTCOMES.index(best.outcome):
            best = verdict
        if verdict.confirmed or out_of_time:
            break
    for writer, reader, bundle in ran[:MAX_WARMUP_PAIRS] if best is not None and best.outcome == "not-confirmed" else ():
        others = [prepared(w, bundle) for w in writers if w != writer.entry]
        # only entries of the writer's handler file share its module state
        warmup = tuple(x for x in others if isinstance(x, Invocation) and x.file == writer.file)[:MAX_WARMUP]
        if not warmup or deadline <= time.monotonic():
            continue
        verdict = attempt(session, make_plan(finding, writer, reader, None, warmup), probe, deadline)
        attempts.append({"writer": writer.entry, "reader": reader.entry, "after": [w.entry for w in warmup],
                         "confirmed": verdict.confirmed, "outcome": verdict.outcome, "reason": verdict.reason})
        if OUTCOMES.index(verdict.outcome) < OUTCOMES.index(best.outcome):
            best = verdict
        if verdict.confirmed:
            break
    if best is None:
        _unconfirmed(finding, "no entry point was found that writes the state", "not-run")
        return
    details = dict(best.details, attempts=attempts)
    if best.confirmed:
        _record_confirmation(finding, best.plan, details)
    else:
        _unconfirmed(finding, best.reason, best.outcome, details)


# -- prototype pollution ---------------------------------------------------------------

MAX_POLLUTING_ENTRIES = 3
_CALLER_DATA = re.compile(r"(?:^|\.)(payload|body)(?:\.|$)")


def _confirm_pollution(session: Session, facts, finding: Finding, problems: dict[str, str], values: Values,
                       deadline: float) -> None:
    """Tenant A invokes an entry reaching the write with `__proto__` where the caller's data names properties
    (an object under that key, a dotted or listed path, a property name next to `__proto__`); tenant B then
    invokes the same entry with ordinary input in the same isolate. Confirmed when, after B's invocation,
    Object.prototype still has the property A's input named: every object of B's invocation had it."""
    what = str(finding.properties.get("sourceData", ""))
    match = _CALLER_DATA.search(what)
    path = [p for p in what[match.end():].split(".") if p and p != "*"] if match else None
    attempts: list[dict] = []
    for entry_id in (finding.properties.get("entryPoints") or [])[:MAX_POLLUTING_ENTRIES]:
        target = invocation(facts, entry_id, None, values)
        if isinstance(target, str) or problems.get(target.file) or path is None:
            attempts.append({"entry": entry_id, "outcome": "not-run", "reason": target if isinstance(target, str)
                             else problems.get(target.file) or f"the caller data ({what}) is not one the replay sends"})
            continue
        a, b = tenant("A"), tenant("B")
        marker = "pollutedBy" + a["canary"].rsplit("-", 1)[-1]
        clean = payloads.payload_for(target.kind, target.source, target.params, b, None, target.constants)
        base = payloads.payload_for(target.kind, target.source, target.params, a, None, target.constants)
        for form, value in (("object", {"__proto__": {marker: a["canary"]}}), ("dotted path", f"__proto__.{marker}"),
                            ("path list", ["__proto__", marker]), ("name", marker)):
            if deadline <= time.monotonic():
                break
            beside = payloads.read_fields(target.source, target.params) if form == "name" else []
            polluting = _polluted(base, path, value, target.kind, beside)
            # storage as a new installation has it (a made-up stored object would take the writes)
            steps = [dict(target.step(a, polluting, None), seeded=False), dict(target.step(b, clean, None), seeded=False)]
            run = session.run({"id": "pollution", "pollutionAfter": 1, "steps": steps}, deadline - time.monotonic())
            ran = len(run["steps"]) == 2 and run["steps"][1]["ok"]
            if ran and marker in (run.get("polluted") or []):
                finding.properties["confirmed"] = True
                finding.properties["confirmation"] = {
                    "outcome": "confirmed", "entry": entry_id, "form": form, "payloads": {"A": polluting, "B": clean},
                    "polluted": marker, "attempts": attempts + [{"entry": entry_id, "form": form, "outcome": "confirmed"}],
                    "runtimeModel": "shared process (nodejs runtimes reuse the warm process across tenants)"}
                finding.message += (f"; confirmed by replay: after tenant A invoked {entry_id} with '__proto__' in "
                                    f"{what} ({form}), every object in tenant B's next invocation had '{marker}'.")
                return
            failed = next((s.get("error") for s in run["steps"] if not s["ok"]), None) or "; ".join(run["problems"])
            attempts.append({"entry": entry_id, "form": form, "outcome": "not-confirmed", "reason":
                             f"an invocation failed: {failed}" if not ran else "Object.prototype was not changed"})
    outcome = "not-confirmed" if any(a["outcome"] == "not-confirmed" for a in attempts) else "not-run"
    _unconfirmed(finding, attempts[-1]["reason"] if attempts else "no entry point to replay", outcome,
                 {"attempts": attempts})


def _polluted(payload: Any, path: list[str], value: Any, kind: str, beside: list[str]) -> Any:
    """``payload`` with ``value`` at ``path`` (in the JSON body for a web trigger), and the fields ``beside``
    it set to `__proto__` (`t[payload.group][payload.name] = v` with the name at ``path``)."""
    if kind == "webtrigger":
        body = json.loads(payload.get("body") or "{}") if isinstance(payload, dict) else {}
        return dict(payload, body=json.dumps(_polluted(body, path, value, "", beside)))
    out = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
    for key in beside:
        if key != (path[0] if path else None):
            out[key] = "__proto__"
    if not path:  # the whole input names the properties (a web trigger's body)
        return dict(out, **value) if isinstance(value, dict) else out
    node = out
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):  # a value, not an object, on the way: nothing to put there
            return out
    node[path[-1]] = value
    return out


def attempt(session: Session, plan: Plan, probe: Probe, deadline: float) -> Verdict:
    """Replay one (writer, reader) pair: shared isolate, fresh isolates, and the named state reset."""
    a, b = plan.tenants
    steps = [w.step(a, payloads.payload_for(w.kind, w.source, w.params, a, None, w.constants), None)
             for w in plan.warmup]
    k = len(steps)  # the writer's step
    steps += [plan.writer.step(a, plan.payloads["A"], plan.variant), plan.reader.step(b, plan.payloads["B"], plan.variant)]
    left = lambda: deadline - time.monotonic()  # noqa: E731
    shared = session.run({"id": "shared", "steps": steps,
                          "inspect": {"after": k, "state": probe.id, "canary": a["canary"]}}, left())
    failure = _failure(plan, shared)
    if failure:
        return Verdict("not-confirmed", failure, threw=tuple(
            invocation.entry for invocation, step in zip((*plan.warmup, plan.writer, plan.reader),
                                                         shared["steps"] + [None] * len(steps))
            if step is None or not step["ok"]))
    write_step, read_step = shared["steps"][k:]
    excerpt = _seen(read_step, a["canary"])
    # With a fresh isolate per invocation A's step cannot touch B's: B runs alone, at the same place in the
    # sequence (the clock and random numbers follow it).
    fresh = session.run({"id": "fresh", "fresh": True, "steps": [dict(steps[-1], step=k + 1)]}, left())
    fresh_read = fresh["steps"][0] if len(fresh["steps"]) == 1 and fresh["steps"][0]["ok"] else None
    fresh_leak = _seen(fresh_read, a["canary"]) is not None if fresh_read else None
    details = {
        "runtimeModel": "shared process (nodejs runtimes reuse the warm process across tenants)",
        "writer": plan.writer.entry, "reader": plan.reader.entry, "state": plan.finding.properties.get("state"),
        **({"afterTenantARan": [w.entry for w in plan.warmup]} if plan.warmup else {}),
        "payloads": plan.payloads, "canary": a["canary"], "tenants": {"A": a["cloudId"], "B": b["cloudId"]},
        "sharedValues": _shared_values(plan, shared["steps"]),
        "observed": excerpt, "freshIsolatePerInvocationLeaks": fresh_leak,
        "behaviourChangedByTenantA": fresh_read is not None and _observable(read_step) != _observable(fresh_read),
        "seconds": round(write_step["seconds"] + read_step["seconds"], 3),
        "sandboxNotes": sorted({n for step in shared["steps"] for n in step.get("notes", [])}),
    }
    if excerpt is None:
        # A changed behaviour alone is not proof of a data leak (a counter would do it too): only
        # tenant A's canary reaching tenant B confirms; a change the named state caused is "influenced".
        missed = f"tenant B's {plan.reader.entry} did not receive tenant A's data"
        if not details["behaviourChangedByTenantA"]:
            return Verdict("not-confirmed", f"{missed}; the write may need input the replay did not provide",
                           details)
        caused, how = _influence(session, plan, steps, probe, fresh_read, left())
        details["throughState"] = how
        if not caused:
            return Verdict("not-confirmed", f"{missed}; its output did differ from a fresh isolate's, but "
                                            f"{how['detail']}", details)
        details["outputs"] = {"afterTenantA": json.dumps(_output(read_step))[:MAX_OUTPUT],
                              "freshIsolate": json.dumps(_output(fresh_read))[:MAX_OUTPUT]}
        return Verdict("influenced", f"{missed}, but its output differed from a fresh isolate's because of "
                                     f"tenant A's state: {how['detail']}", details, plan)
    if fresh_leak:
        return Verdict("not-confirmed", "tenant A's data also reached tenant B with a fresh isolate per "
                                        "invocation, so it did not travel through module state", details)
    carried, how = _through_state(session, plan, steps, probe, shared, left())
    details["throughState"] = how
    if not carried:
        return Verdict("not-confirmed", how["detail"], details)
    return Verdict("confirmed", "", details, plan)


def _influence(session: Session, plan: Plan, steps: list[dict], probe: Probe, fresh_read: dict,
               seconds: float) -> tuple[bool, dict]:
    """Did the named state make B's output differ from a fresh isolate's? Only if, with the state reset
    to a freshly initialised value before B's step, B's output is the fresh isolate's again: a
    difference something else carried (another state, a stub) is not the finding's."""
    name = plan.finding.properties.get("state")
    again, unreset = _reset_run(session, plan, steps, probe, seconds)
    if unreset:
        return False, {"method": "reset", "detail": f"'{name}' could not be reset to tell what caused it ({unreset})"}
    if _observable(again["steps"][-1]) != _observable(fresh_read):
        return False, {"method": "reset", "detail": f"with '{name}' reset before B's step the output still "
                                                    "differed: something else carried the change"}
    return True, {"method": "reset", "detail": f"with '{name}' reset to a freshly initialised value before B's "
                                               "step, B's output was the fresh isolate's again"}


def _through_state(session: Session, plan: Plan, steps: list[dict], probe: Probe, shared: dict,
                   seconds: float) -> tuple[bool, dict]:
    """Did A's data reach B through the named state? Either resetting the state (its initialiser
    re-evaluated) between A's and B's steps makes the leak go away, or the state held A's data after
    A's step. A reset alone can miss (code that kept a reference to the old value), an inspection
    alone can too (data kept in a closure or a private field): either is evidence, neither is proof
    of the opposite."""
    canary, name = plan.tenants[0]["canary"], plan.finding.properties.get("state")
    shared_read, inspected = shared["steps"][-1], shared.get("inspected") or {}
    again, unreset = _reset_run(session, plan, steps, probe, seconds)
    clean = unreset is None
    # Each datum the stubs hand out is distinct (canary-<n>, canary:<field>), and A's step runs the same
    # in both runs: what B lost with the state reset is what the state carried.
    lost = _tokens(shared_read, canary) - _tokens(again["steps"][-1], canary) if clean else set()
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
        reset_said = f"'{name}' could not be reset ({unreset})"
    seen = "its declaration never ran" if not inspected.get("registered") else "it did not hold A's data after A's step"
    return False, {"method": "reset and inspection",
                   "detail": f"tenant A's data reached tenant B, but not through '{name}': {reset_said}, and "
                             f"{seen}"}


def _reset_run(session: Session, plan: Plan, steps: list[dict], probe: Probe,
               seconds: float) -> tuple[dict, str | None]:
    """A and B again, with the named state reset to a freshly initialised value between their steps;
    and why that did not work, if it did not."""
    again = session.run({"id": "reset", "steps": steps, "reset": {"after": len(steps) - 2, "state": probe.id}},
                        seconds)
    reset = again.get("reset") or {}
    if reset.get("reset") and len(again["steps"]) == len(steps) and all(s["ok"] for s in again["steps"]):
        return again, None
    return again, reset.get("error") or _failure(plan, again) or "no answer"


def _failure(plan: Plan, shared: dict) -> str | None:
    steps = shared["steps"]
    roles = [("tenant A's earlier", w.entry) for w in plan.warmup] + \
        [("writer", plan.writer.entry), ("reader", plan.reader.entry)]
    failed = next((step for step in steps if not step["ok"]), None)
    if failed is None and len(steps) == len(roles):
        return None
    ran = next((i for i, step in enumerate(steps) if not step["ok"]), len(steps))
    role, entry = roles[min(ran, len(roles) - 1)]
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


def _output(step: dict) -> dict:
    """What an invocation showed the world: its result and what it sent (calls)."""
    calls = [{k: v for k, v in call.items() if k != "tenant"} for call in step.get("calls", [])]
    return {"result": step.get("result"), "calls": calls}


def _observable(step: dict) -> str:
    return json.dumps(_output(step), sort_keys=True)


def _record_confirmation(finding: Finding, plan: Plan, details: dict) -> None:
    a = plan.tenants[0]
    finding.properties["confirmed"] = True
    finding.properties["confirmation"] = dict(details, outcome="confirmed")
    legacy = "with a fresh isolate per invocation it did not" if details["freshIsolatePerInvocationLeaks"] is False \
        else "the fresh-isolate comparison did not complete"
    ran = ", then ".join([w.entry for w in plan.warmup] + [plan.writer.entry])
    finding.message += (f"; confirmed by replay: after tenant A ran {ran}, tenant B's "
                        f"{plan.reader.entry} returned or sent A's data ({a['canary']}) through "
                        f"'{details['state']}' ({details['throughState']['detail']}); {legacy}.")
    flow = [w.location.with_message(f"replay: tenant A runs {w.entry} first") for w in plan.warmup
            if w.location is not None]
    if plan.writer.location is not None:
        flow.append(plan.writer.location.with_message(f"replay: tenant A runs {plan.writer.entry} (writes)"))
    if plan.reader.location is not None:
        flow.append(plan.reader.location.with_message(f"replay: tenant B runs {plan.reader.entry} and gets A's data"))
    if flow:
        finding.code_flows.append(flow)


def _unconfirmed(finding: Finding, reason: str, outcome: str, details: dict | None = None) -> None:
    finding.properties["confirmed"] = False
    finding.properties["confirmation"] = dict(details or {}, outcome=outcome, reason=reason)


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
    header, problems, _ = _header(facts, limits)
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
