"""The child process that runs untrusted app code, one fresh V8 isolate per run.

    python -I -c <boot> HARNESS_DIR   (JSON lines: a header, then one run per line)

The header holds the app's files (already CommonJS) and the limits; each
following line is a run: a list of invocations to execute in order, answered
by one line of results. The parent starts this process in isolated mode
(no PYTHONPATH, no working directory on the import path) in an empty
temporary directory with an empty environment, and watches the clock: V8
cannot be interrupted while it runs a promise continuation, so a step that
hangs there is ended by the parent killing this process. Before any isolate
exists this process caps its own data segment (RLIMIT_DATA), which bounds
what V8 allocates outside its heap too (array buffers, WebAssembly memory).

A run uses one isolate for all the steps of one handler file (the
process-reuse model; Forge bundles each handler file on its own, so steps of
another handler file get another isolate) unless ``fresh`` asks for one
isolate per step (the legacy per-invocation model).
Each isolate gets a hard heap limit and each step a timeout. Nothing is
exposed to the code but the prelude's stubs: V8 here has no filesystem,
network or environment, and this process reads only its standard input.
The harness inside the isolate answers only calls carrying the token this
process gives it before any app code runs.
"""

from __future__ import annotations

import importlib.resources
import json
import resource
import secrets
import sys
import time
from typing import Any

from py_mini_racer import MiniRacer

from runtime_harness import payloads

PRELUDE = importlib.resources.files("runtime_harness").joinpath("prelude.js").read_text(encoding="utf-8")
MAX_TIMERS = 10_000          # timers one step may fire before it counts as never finishing
_MEMORY_ERRORS = ("Array buffer allocation failed", "could not allocate memory", "Out of memory")


def data_limit(heap_bytes: int) -> int:
    """The process-wide data limit for isolates with ``heap_bytes`` of heap each: room for one
    isolate's heap twice over (V8 grows it in semi-spaces) plus the interpreter and V8 itself."""
    return 2 * heap_bytes + 512 * 1024 * 1024


class StepFailed(Exception):
    pass


class Isolate:
    """One V8 isolate with the harness prelude and the app's modules compiled, each on its own."""

    def __init__(self, job: dict):
        self.timeout = float(job["limits"]["call_timeout"])
        self.ctx = MiniRacer()
        self.ctx.set_hard_memory_limit(int(job["limits"]["memory_bytes"]))
        self.ctx.eval(PRELUDE)
        self.token = secrets.token_hex(16)
        self.ctx.eval(f"__forgeAudit.init({json.dumps(self.token)})")
        self.call("setup", job.get("packages", {}), job.get("shapes", {}), payloads.js_rules())
        self.problems = []
        hints = job.get("hints", {})
        for path, code in job["files"].items():
            why = self.call("define", path, code, hints.get(path, ""))
            if why:  # a file that does not compile only matters if it is loaded; it then fails to load
                self.problems.append(f"{path} does not compile: {why}")

    def call(self, name: str, *args: Any, timeout: float | None = None) -> Any:
        arguments = ", ".join([json.dumps(self.token)] + [json.dumps(a) for a in args])
        return self.ctx.eval(f"__forgeAudit.{name}({arguments})", timeout_sec=timeout or self.timeout)

    def close(self) -> None:
        self.ctx.close()

    def preload(self, path: str) -> list[str]:
        """Load the entry module before any invocation (load-time code runs once, for no tenant)."""
        try:
            self.call("preload", path)
            return []
        except Exception as exc:
            return [f"loading {path} failed: {self._reason(exc)}"]

    def step(self, step: dict) -> dict[str, Any]:
        started = time.perf_counter()
        deadline = started + self.timeout
        try:
            self.call("invoke", json.dumps(step))
            # Microtasks run to the end after each call; timers fire only when the invocation waits on one.
            for _ in range(MAX_TIMERS):
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise StepFailed("timed out")
                state = json.loads(self.call("poll", timeout=left))
                if state["done"]:
                    break
                if not self.call("tick", timeout=left):
                    # V8 stops a script at the heap limit wherever it is: the invocation then looks stuck.
                    raise StepFailed("memory limit reached" if self.ctx.was_hard_memory_limit_reached() else
                                     "the invocation never finished: it waits for something that never "
                                     "happens in the sandbox")
            else:
                raise StepFailed(f"the invocation never finished: it fired {MAX_TIMERS} timers")
            out = {k: state[k] for k in ("result", "calls", "logs", "notes", "shared") if k in state}
            out["ok"] = bool(state["ok"])
            if not out["ok"]:
                out["error"] = self._memory(state.get("error") or "failed")
        except StepFailed as exc:
            out = {"ok": False, "error": str(exc)}
        except Exception as exc:
            out = {"ok": False, "error": self._reason(exc)}
        out["seconds"] = round(time.perf_counter() - started, 3)
        out["tenant"] = step["tenant"]["id"]
        out["entry"] = step.get("label", "")
        return out

    def inspect(self, state: str, canary: str) -> dict:
        """Whether the state holds ``canary`` (promises it holds are awaited between looks)."""
        try:
            for _ in range(4):
                seen = json.loads(self.call("inspect", state, canary))
                if seen["holds"] or not seen["pending"]:
                    break
            return {k: seen.get(k) for k in ("registered", "holds", "excerpt", "error") if k in seen}
        except Exception as exc:
            return {"registered": False, "holds": False, "error": self._reason(exc)}

    def pollution(self) -> list[str]:
        """The names app code added to Object.prototype (prototype pollution), at most 20."""
        try:
            found = json.loads(self.call("pollution"))
            return [str(name)[:200] for name in found][:20] if isinstance(found, list) else []
        except Exception:
            return []

    def reset(self, state: str) -> dict:
        try:
            return json.loads(self.call("reset", state))
        except Exception as exc:
            return {"reset": False, "error": self._reason(exc)}

    def _reason(self, exc: Exception) -> str:
        name = type(exc).__name__
        if name == "JSOOMException" or self.ctx.was_hard_memory_limit_reached():
            return "memory limit reached"
        if name == "JSTimeoutException":
            return "timed out"
        message = str(exc).splitlines()[0][:300] if str(exc) else name
        return self._memory(f"{name}: {message}")

    @staticmethod
    def _memory(error: str) -> str:
        """Allocation failures outside the V8 heap are the process's memory limit at work."""
        return "memory limit reached (process data limit)" if any(m in error for m in _MEMORY_ERRORS) else error


def run_one(job: dict, run: dict) -> dict:
    outcome: dict[str, Any] = {"id": run["id"], "steps": [], "problems": [], "inspected": None, "reset": None,
                               "polluted": None}
    isolates: dict[str, Isolate] = {}   # handler file -> its bundle's isolate
    inspect, reset = run.get("inspect"), run.get("reset")
    try:
        for i, step in enumerate(run["steps"]):
            # Forge bundles each handler file on its own: steps of one handler file share an isolate
            # (the process-reuse model), steps of another get theirs, and `fresh` gives each step one.
            isolate = isolates.get(step["file"])
            if isolate is None or run.get("fresh"):
                if isolate is not None:
                    isolate.close()
                isolate = isolates[step["file"]] = Isolate(job)
                loading = isolate.preload(step["file"])
                outcome["problems"] += [p for p in isolate.problems + loading if p not in outcome["problems"]]
                if loading:
                    break  # the app did not load: nothing of it can run
            # A step may say which invocation it is (B's alone in a fresh isolate is still the second).
            result = isolate.step(dict(step, step=step.get("step", i)))
            outcome["steps"].append(result)
            if not result["ok"] and result["error"].startswith(("timed out", "memory limit reached")):
                break  # the isolate is no longer trustworthy
            if inspect and inspect["after"] == i:
                outcome["inspected"] = isolate.inspect(inspect["state"], inspect["canary"])
            if reset and reset["after"] == i:
                outcome["reset"] = isolate.reset(reset["state"])
            if run.get("pollutionAfter") == i:
                outcome["polluted"] = isolate.pollution()
    except Exception as exc:
        outcome["problems"].append(f"{type(exc).__name__}: {exc}")
    finally:
        for isolate in isolates.values():
            isolate.close()
    return outcome


def main() -> None:
    job = json.loads(sys.stdin.readline())
    limit = data_limit(int(job["limits"]["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(run_one(job, json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
