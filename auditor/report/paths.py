"""How file paths appear in reports: repo-relative URIs for SARIF, short paths for people."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote


def uri_for(path: Path, root: Path) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to %SRCROOT% when under the source root, else a file URI."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.resolve().as_uri(), None
    return quote(PurePosixPath(rel).as_posix()), "%SRCROOT%"


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def source_root_for(paths: list[Path]) -> Path:
    """The git work tree holding the first scanned path, else the working directory."""
    start = (paths[0] if paths else Path.cwd()).resolve()
    for candidate in [start, *start.parents]:
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()
