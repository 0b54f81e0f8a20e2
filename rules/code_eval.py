"""Reports caller data run as code: `eval`, `new Function`, `vm.*`, `setTimeout(string)`.

## What it does
Finds `eval(…)`, `Function(…)` / `new Function(…)`, the `vm` module's
`runInNewContext` / `runInThisContext` / `runInContext` / `compileFunction` /
`new vm.Script(…)`, and `setTimeout` / `setInterval` with a string, when the code
they run derives from what the caller of an entry point chose: a resolver's
`payload`, a UI or Rovo function's payload, a caller-described part of
`context`, or a web trigger's request. Data is followed through variables,
destructuring, properties, templates, library calls, helper return values and
helper parameters in other files (auditor/facts/taint.py).

## Why is this bad?
Whoever can invoke the function runs their own JavaScript inside the app,
with the app's identity: `api.asApp()` calls with every scope the app holds,
storage and secrets of the installation, and a warm process that serves other
tenants next. The `vm` module is not a sandbox.

## Example
```js
resolver.define('evaluateFormula', ({ payload }) => {
  return eval(payload.formula);
});
```

## How to fix
Do not run caller text as code. Parse the small language you need (a
formula grammar, a JSON expression tree, a JSONata/JSON-logic library that
evaluates without `eval`) and allow only the operations it defines.
"""

from __future__ import annotations

from auditor.facts.bindings import callee_name, unwrap
from auditor.facts.taint import arguments, receives_caller_data
from rules.base import Rule
from rules.invocation_data import flow_finding, imported_from, listed, shown

VM_FUNCTIONS = ("runInNewContext", "runInThisContext", "runInContext", "compileFunction", "Script")
TIMERS = ("setTimeout", "setInterval")
VM_MODULES = {"vm", "node:vm"}


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(receives_caller_data):
        return
    for call, path in flow.calls(("eval", "Function") + VM_FUNCTIONS + TIMERS):
        code = _code_argument(flow, call, path)
        if code is None:
            continue
        for origin in flow.caller_origins(code, path):
            entries = flow.reaching(call, path)
            yield flow_finding(
                RULE, flow, call, path, origin,
                f"{shown(call)} runs code built from {origin.what} (caller data): whoever invokes "
                f"{listed(entries)} runs their own JavaScript with the app's identity",
                entries,
            )
            break


def _code_argument(flow, call, path):
    """The argument holding the code the call runs, or None when the call runs no caller text."""
    callee = unwrap(call.child_by_field_name("constructor" if call.type == "new_expression" else "function"))
    named = arguments(call)
    if not named:
        return None
    name = callee_name(callee)
    if name in ("eval", "Function"):
        if callee.type != "identifier" or flow.values.bindings(path).declares(name):
            return None  # an app's own `eval` or `Function` is not the global
        return named[-1] if name == "Function" else named[0]
    if name in TIMERS:
        return named[0] if callee.type == "identifier" and not flow.values.bindings(path).declares(name) else None
    receiver = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    module = receiver if receiver is not None and receiver.type == "identifier" else callee
    return named[0] if module.type == "identifier" and imported_from(flow, module, path, VM_MODULES) else None


RULE = Rule(
    id="code/eval", name="CallerDataEvaluated", level="error",
    summary="Caller data run as code (eval, new Function, vm, setTimeout(string))",
    doc=__doc__, cwe=(95,), precision="high", security_severity=9.3, check=check, invocations=True,
)
