"""The `forge-audit` console script: auditor.cli's command run as a process of its own."""

from __future__ import annotations

import gc
import os
import sys


def run() -> None:
    """main(), then a quick exit. Python's cyclic garbage collector is off while the modules load (they
    allocate many objects and free no cycles). Tearing the interpreter down (every module, the scan's
    objects) is a sixth of a small app's scan: the outputs are flushed and the process ends; when the
    flush fails, the ordinary exit reports it. After a replay (V8's threads, sandbox processes) the
    process exits the ordinary way."""
    gc.disable()
    try:
        from auditor.cli import EXIT_OK, main
    finally:
        gc.enable()
    try:
        main()
        code = EXIT_OK
    except SystemExit as exc:
        if not isinstance(exc.code, (int, type(None))) or "runtime_harness.replay" in sys.modules:
            raise
        code = exc.code or EXIT_OK
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(code)
