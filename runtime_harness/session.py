"""The parent's side of the sandbox: starting the child, feeding it runs, distrusting its answers.

The child (runtime_harness.sandbox) runs app code, so everything it says is
checked before use: one line per run, at most MAX_ANSWER_BYTES, shaped as
RUN_ANSWER says. A run that overstays its time is cut off by killing the
child; the next run starts a new one.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonschema

HARNESS_HOME = str(Path(__file__).resolve().parent.parent)
# Isolated mode (-I): no PYTHONPATH, no user site, and neither the working directory nor the script's
# folder on the import path, so nothing in the scanned repository can shadow a module of the harness.
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from runtime_harness.sandbox import main; main()"
SETUP_SECONDS = 5.0                   # per run: child start, isolate creation, loading the app's files
MAX_ANSWER_BYTES = 16 * 1024 * 1024

_TEXT = {"type": "string", "maxLength": 1 << 20}
_STEP = {
    "type": "object",
    "required": ["ok", "seconds", "tenant", "entry"],
    "properties": {
        "ok": {"type": "boolean"}, "seconds": {"type": "number"}, "tenant": _TEXT, "entry": _TEXT,
        "error": _TEXT, "result": _TEXT,
        "calls": {"type": "array", "maxItems": 100_000, "items": {"type": "object"}},
        "logs": {"type": "array", "items": _TEXT},
        "notes": {"type": "array", "items": _TEXT},
        "shared": {"type": "array", "items": {"type": "array", "prefixItems": [_TEXT, _TEXT]}},
    },
    "if": {"properties": {"ok": {"const": True}}},
    "then": {"required": ["result", "calls"]},
    "else": {"required": ["error"]},
}
RUN_ANSWER = {
    "type": "object",
    "required": ["id", "steps", "problems"],
    "properties": {
        "id": _TEXT,
        "steps": {"type": "array", "items": _STEP},
        "problems": {"type": "array", "items": _TEXT},
        "inspected": {"oneOf": [{"type": "null"}, {
            "type": "object", "required": ["registered", "holds"],
            "properties": {"registered": {"type": "boolean"}, "holds": {"type": "boolean"},
                           "excerpt": {"type": ["string", "null"]}, "error": _TEXT}}]},
        "reset": {"oneOf": [{"type": "null"}, {
            "type": "object", "required": ["reset"],
            "properties": {"reset": {"type": "boolean"}, "error": _TEXT}}]},
        "polluted": {"oneOf": [{"type": "null"}, {"type": "array", "maxItems": 20, "items": _TEXT}]},
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(RUN_ANSWER)


def failed_run(run_id: str, reason: str, killed: bool = False) -> dict:
    return {"id": run_id, "steps": [], "problems": [reason], "inspected": None, "reset": None, "polluted": None,
            "killed": killed}


class Child:
    """One sandbox process, fed runs one JSON line at a time."""

    def __init__(self, header: dict):
        # A private, empty working directory and an empty environment: the child inherits nothing of
        # the scanned repository or of the CI runner's secrets.
        self.home = tempfile.mkdtemp(prefix="forge-audit-sandbox-")
        # V8 says why it stopped the process (out of memory) on standard error, kept for _ended.
        with open(os.path.join(self.home, "stderr"), "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", BOOT, HARNESS_HOME], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, cwd=self.home, env={"PATH": os.defpath}, start_new_session=True,
            )
        self.buffer = b""
        try:
            self.proc.stdin.write(json.dumps(header).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the child died at once: the first run reports how it ended

    def run(self, run: dict, seconds: float) -> dict | str:
        """The run's checked answer, or why there is none (the child is then gone or killed)."""
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
            if len(self.buffer) > MAX_ANSWER_BYTES:
                self.kill()
                return f"the sandbox answered more than {MAX_ANSWER_BYTES:,} bytes"
        line, self.buffer = self.buffer.split(b"\n", 1)
        return checked(line, run["id"]) or self._malformed()

    def _malformed(self) -> str:
        self.kill()
        return "the sandbox gave a malformed answer"

    def _ended(self) -> str:
        self.proc.wait()
        try:
            with open(os.path.join(self.home, "stderr"), "rb") as stderr:
                stderr.seek(max(0, os.fstat(stderr.fileno()).st_size - 4096))
                said = stderr.read().decode("utf-8", "replace")
        except OSError:
            said = ""
        self.kill()
        if "out of memory" in said.lower():
            return "memory limit reached (V8 stopped the sandbox process: out of memory)"
        return f"the sandbox process ended unexpectedly (exit code {self.proc.returncode})"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._clean()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._clean()

    def _clean(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def checked(line: bytes, run_id: str) -> dict | None:
    """The answer if it is well-formed JSON of the expected shape for this run, else None."""
    try:
        answer = json.loads(line)
    except ValueError:
        return None
    if not _VALIDATOR.is_valid(answer) or answer["id"] != run_id:
        return None
    return answer


class Session:
    """The runs of one app, in as few sandbox processes as possible: a run that overstays its time is
    cut off by killing its child, and the next run goes on in a new one."""

    def __init__(self, header: dict):
        self.header = header
        self.call_timeout = float(header["limits"]["call_timeout"])
        self.child: Child | None = None

    def run(self, run: dict, seconds_left: float) -> dict:
        if seconds_left <= 0:
            return failed_run(run["id"], "replay budget used up")
        self.child = self.child or Child(self.header)
        budget = min(seconds_left, SETUP_SECONDS + self.call_timeout * len(run["steps"]))
        outcome = self.child.run(run, budget)
        if isinstance(outcome, str):
            self.child = None
            if budget == seconds_left:
                outcome = outcome.replace("timed out (", "timed out (replay budget ", 1)
            return failed_run(run["id"], outcome, killed=True)
        return outcome

    def close(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
