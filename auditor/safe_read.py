"""TEMPORARY stand-in until the gate branch lands its safe reader (same API)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Unreadable(Exception):
    pass


def read_file(path: Path, root: Path, limit: int) -> bytes:
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise Unreadable("cannot resolve") from exc
    if not real.is_relative_to(Path(root).resolve()):
        raise Unreadable("symlink points outside the app")
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise Unreadable("too large")
    return data
