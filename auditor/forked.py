"""Work run in a forked child process while this one goes on (Linux only).

The child starts with this process's memory, syntax trees included: trees cannot be sent to another
process, so forking is the one way a second CPU can share an app's analysis. Its result comes back
pickled through a pipe; a child that fails or dies yields None, and the caller does the work itself.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, TypeVar

T = TypeVar("T")

# As the monorepo workers (auditor.engine): elsewhere forking is not the platform's default, for good reasons
AVAILABLE = sys.platform == "linux"


def start(work: Callable[[], T]) -> Callable[[], T | None]:
    """Run ``work`` in a forked child; returns the function that waits for its result (None on failure)."""
    import pickle  # only a large app's scan forks: not a cost of every start-up

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no cleanup of the parent's state (atexit, buffered output) may run here
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)

    def result() -> T | None:
        with os.fdopen(read, "rb") as source:
            data = source.read()  # read before waiting: a result larger than the pipe's buffer blocks the child
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not data:
            return None
        try:
            return pickle.loads(data)
        except Exception:
            return None

    return result
