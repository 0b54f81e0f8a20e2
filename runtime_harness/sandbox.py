"""The child process that runs untrusted app code, one fresh V8 isolate per run.

    python -m runtime_harness.sandbox   (JSON lines: a header, then one run per line)

The header holds the app's files (already CommonJS) and the limits; each
following line is a run: a list of invocations to execute in order, answered
by one line of results. The parent watches the clock: V8 cannot be
interrupted while it runs a promise continuation, so a step that hangs there
is ended by the parent killing this process and starting another for the
remaining runs. A run uses one isolate for all its steps
(the process-reuse model) unless ``fresh`` asks for one isolate per step (the
legacy per-invocation model). Each isolate gets a hard heap limit and each
step a timeout. Nothing is exposed to the code but the prelude's stubs: V8
here has no filesystem, network or environment, and this process reads only
its standard input.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
import time
from typing import Any

from py_mini_racer import MiniRacer

from runtime_harness import payloads

PRELUDE = importlib.resources.files("runtime_harness").joinpath("prelude.js").read_text(encoding="utf-8")


def _isolate(job: dict) -> tuple[MiniRacer, list[str]]:
    ctx = MiniRacer()
    ctx.set_hard_memory_limit(int(job["limits"]["memory_bytes"]))
    ctx.eval(PRELUDE)
    problems = []
    ctx.eval(f"__h.packages = {json.dumps(job.get('packages', {}))}; __setShapes({json.dumps(job.get('shapes', {}))}); "
             f"__setSharedRules({json.dumps(payloads.js_rules())});")
    for path, code in job["files"].items():
        wrapper = (f"__define({json.dumps(path)}, function (exports, require, module, __filename, __dirname, "
                   f"__import) {{{code}\n}});")
        try:
            ctx.eval(wrapper, timeout_sec=job["limits"]["call_timeout"])
        except Exception as exc:  # a file that does not compile only matters if it is loaded
            problems.append(f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return ctx, problems


def _preload(ctx: MiniRacer, path: str, timeout: float) -> list[str]:
    """Load the entry module before any invocation (load-time code runs once, for no tenant)."""
    try:
        ctx.eval(f"__preload({json.dumps(path)})", timeout_sec=timeout)
        return []
    except Exception as exc:
        name = type(exc).__name__
        reason = {"JSTimeoutException": "timed out", "JSOOMException": "memory limit reached"}.get(name)
        return [f"loading {path} failed: {reason or str(exc).splitlines()[0][:200]}"]


def _step(ctx: MiniRacer, step: dict, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        promise = ctx.eval(f"__invoke({json.dumps(step)})", timeout_sec=timeout)
        raw = promise.get(timeout=timeout) if hasattr(promise, "get") else promise
        out = json.loads(raw)
        out["ok"] = True
    except Exception as exc:
        name = type(exc).__name__
        reason = {"JSTimeoutException": "timed out", "JSOOMException": "memory limit reached"}.get(name)
        if ctx.was_hard_memory_limit_reached():
            reason = "memory limit reached"
        message = str(exc).splitlines()[0][:300] if str(exc) else name
        out = {"ok": False, "error": reason or f"{name}: {message}"}
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["tenant"] = step["tenant"]["id"]
    out["entry"] = step.get("label", "")
    return out


def run_one(job: dict, run: dict) -> dict:
    timeout = float(job["limits"]["call_timeout"])
    outcome: dict[str, Any] = {"id": run["id"], "steps": [], "problems": []}
    ctx = None
    try:
        for i, step in enumerate(run["steps"]):
            if ctx is None or run.get("fresh"):
                if ctx is not None:
                    ctx.close()
                ctx, problems = _isolate(job)
                loading = _preload(ctx, step["file"], timeout)
                outcome["problems"] += [p for p in problems + loading if p not in outcome["problems"]]
                if loading:
                    break  # the app did not load: nothing of it can run
            result = _step(ctx, dict(step, step=i), timeout)
            outcome["steps"].append(result)
            if not result["ok"] and result["error"] in ("timed out", "memory limit reached"):
                break  # the isolate is no longer trustworthy
    except Exception as exc:
        outcome["problems"].append(f"{type(exc).__name__}: {exc}")
    finally:
        if ctx is not None:
            ctx.close()
    return outcome


def main() -> None:
    job = json.loads(sys.stdin.readline())
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(run_one(job, json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
