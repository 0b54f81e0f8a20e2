"""Path tests over a scanned repository, where any folder may be a symlink (or a symlink loop)."""

from __future__ import annotations

import os
from pathlib import Path


def real(path: Path) -> Path:
    # os.path.realpath, unlike Path.resolve on Python 3.11/3.12, does not raise on a symlink loop.
    return Path(os.path.realpath(path))


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` is ``folder`` or below it, by name (both as given: resolve them first when
    symlinks matter). String prefixes: Path.parents costs a list of paths per call."""
    text, base = str(path), str(folder)
    return text == base or text.startswith(base.rstrip(os.sep) + os.sep)
