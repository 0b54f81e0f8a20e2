"""How file paths appear in reports: repo-relative URIs for SARIF, short paths for people."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote


def _located(path: Path) -> Path:
    """``path`` with its folders resolved but not its last component: a symlink in the repository is
    shown as itself, never as where it points (a loop, or a host path outside the app)."""
    return Path(os.path.realpath(path.parent)) / path.name


def relative_path(path: Path, root: Path) -> str | None:
    """POSIX path of ``path`` relative to ``root``, or None when it is not under it."""
    try:
        return PurePosixPath(_located(path).relative_to(os.path.realpath(root))).as_posix()
    except ValueError:
        return None


def uri_for(path: Path, root: Path) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to %SRCROOT% when under the source root, else a file URI."""
    rel = relative_path(path, root)
    if rel is None:
        return _located(path).as_uri(), None
    return quote(rel), "%SRCROOT%"


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute."""
    rel = relative_path(path, Path.cwd())
    return str(path) if rel is None else os.path.normpath(rel)


def source_root_for(paths: list[Path]) -> Path:
    """The git work tree holding the first scanned path, else the working directory."""
    start = (paths[0] if paths else Path.cwd()).resolve()
    for candidate in [start, *start.parents]:
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


def app_of(path: Path, apps: list[Path]) -> Path | None:
    """The innermost app folder holding ``path`` (apps may be nested; the loader gives a file to the inner one)."""
    holders = [app for app in apps if path.is_relative_to(app)]
    return max(holders, key=lambda app: len(app.parts), default=None)
