"""Where the code of a Custom UI / UI Kit resource is: its folder, or the frontend project that builds it.

A resource path usually names a build output folder (`static/main/build`). When that folder is in the
repository, it and the project folder around it are read. When it is not (never committed, git-ignored,
or outside the app folder: `path: ../frontend/build`), the project producing it is looked for, at a
fixed list of places (no walk over the repository):

1. the folder `.forge-audit.yml` names for the resource key (`resources: {main: ../frontend/src}`);
2. the project folder around the build folder (`../frontend` for `../frontend/build`);
3. a conventionally named folder beside the app or at the repository root (`frontend`, `ui`,
   `client`, `web`, `custom-ui`, `static`), or its subfolder named after the resource key, that
   imports `@forge/bridge` (in its package.json or its code).

Nothing outside the repository (the nearest folder with .git, else the scanned path) is ever used.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path, PurePosixPath

from auditor.fspath import inside, real
from auditor.model import Notification
from auditor.safe_read import Unreadable, read_file

CODE_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
BUILD_DIRS = {"build", "dist", "out", "public"}
# What a frontend project holds beside the code it bundles: never part of the resource.
TOOLING_DIRS = {"e2e", "cypress", "playwright", "scripts", "tools", "test", "tests", ".storybook"}
TOOLING_FILES = ("*.config.*", "*.stories.*", "*.story.*", "*.e2e.*", "setupTests.*")
PROJECT_DIRS = ("frontend", "ui", "client", "web", "custom-ui", "static")
BRIDGE = b"@forge/bridge"
# Forge packages that only run in the browser (UI Kit 1's @forge/ui renders in a function).
BROWSER_PACKAGES = frozenset({"@forge/bridge", "@forge/react"})
_SKIP = {"node_modules", ".git"} | BUILD_DIRS
_MAX_PEEK_FILES = 200      # code files read to tell whether a folder imports @forge/bridge
_MAX_SMALL_FILE = 1024 * 1024


def frontend_roots(app, options) -> list[Path]:
    """Files and folders of Custom UI / UI Kit code (they run in the browser); fills
    ``app.frontend_sources``, ``app.replaced_builds`` and notifications on the way."""
    if app.manifest is None:
        return []
    named = dict(options.resources)
    roots: list[Path] = []
    resources = app.manifest.get(("resources",)) or []
    keys = set()
    for resource in resources if isinstance(resources, list) else []:
        rel = resource.get("path") if isinstance(resource, dict) else None
        key = resource.get("key") if isinstance(resource, dict) else None
        if not isinstance(rel, str) or not rel.strip():
            continue
        key = key if isinstance(key, str) else ""
        keys.add(key)
        target = real(app.root / rel)
        ignored = inside(target, app.repository) and os.path.lexists(target) and _git_ignored(target, app.repository)
        if key in named:
            source = _named_source(app, key, named[key])
            if source is not None:
                roots.append(source)
                _found(app, key, source, "named in .forge-audit.yml", rel, target, ignored)
                continue
        if inside(target, app.root) and target != real(app.root) and os.path.lexists(target) and not ignored:
            roots.append(target)
            if target.name in BUILD_DIRS and target.parent != real(app.root):
                roots.append(target.parent)
            continue
        why = "git-ignored" if ignored else "missing" if not os.path.lexists(target) else "outside the app folder"
        source = _producer(app, key, target)
        if source is None and ignored and inside(target, app.root):
            roots.append(target)  # only the build output is there: read it
            continue
        if source is None:
            app.notifications.append(Notification(
                "warning", f"resource '{key}': {rel} is {why} and no frontend project building it was found; "
                f"its calls are not analysed (name its source folder in .forge-audit.yml: "
                f"resources: {{{key}: <folder>}})", app.manifest_path, failure=False))
            continue
        roots.append(source)
        _found(app, key, source, f"{rel} is {why}", rel, target, ignored)
    for key in sorted(set(named) - keys):
        app.notifications.append(Notification(
            "error", f".forge-audit.yml resources: '{key}' is not a resource of this app "
            f"(its resources: {', '.join(sorted(keys)) or 'none'})", app.manifest_path, blocking=True))
    return roots


def _found(app, key: str, source: Path, why: str, rel: str, target: Path, ignored: bool) -> None:
    app.frontend_sources[key] = (source, why)
    if ignored and not inside(source, target):
        app.replaced_builds.add(target)
    shown = os.path.relpath(source, app.root).replace(os.sep, "/")
    app.notifications.append(Notification(
        "note", f"resource '{key}': frontend code read from {shown} ({why})", app.manifest_path, failure=False))


def _named_source(app, key: str, folder: str) -> Path | None:
    """The folder `.forge-audit.yml` names for ``key``; None (with a blocking notification) when it is
    not a folder of the repository: a setting that silently does nothing is worse than none."""
    source = real(app.root / folder)
    if inside(source, app.repository) and source.is_dir() and not inside(real(app.root), source):
        return source
    where = ("lies outside the repository" if not inside(source, app.repository) else
             "is not a folder" if not source.is_dir() else "holds the app folder itself")
    app.notifications.append(Notification(
        "error", f".forge-audit.yml resources: '{key}': {folder} {where} (paths are relative to the app folder)",
        app.manifest_path, blocking=True))
    return None


def _producer(app, key: str, target: Path) -> Path | None:
    """The frontend project building ``target``: the folder around it, else one conventional folder
    importing @forge/bridge (the one named after ``key`` when there are several)."""
    app_root = real(app.root)
    around = target.parent if target.name in BUILD_DIRS else None
    # not a folder holding the app: the app's own backend is no frontend project
    if around is not None and not inside(app_root, around) and inside(around, app.repository) and _has_code(around):
        return around
    candidates = []
    for base in dict.fromkeys([app_root, app_root.parent, real(app.repository)]):
        if not inside(base, app.repository):
            continue
        for name in PROJECT_DIRS:
            for folder in (base / name / key, base / name) if key else (base / name,):
                folder = real(folder)
                if folder not in candidates and inside(folder, app.repository) and not inside(app_root, folder) \
                        and folder.is_dir() and _imports_bridge(folder, app.repository):
                    candidates.append(folder)
    repository = real(app.repository)
    keyed = [c for c in candidates if key and key in c.relative_to(repository).parts]
    if keyed:
        return keyed[0]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        app.notifications.append(Notification(
            "warning", f"resource '{key}': several frontend projects could build it "
            f"({', '.join(os.path.relpath(c, app.root).replace(os.sep, '/') for c in candidates)}); none was "
            f"read (name one in .forge-audit.yml: resources: {{{key}: <folder>}})", app.manifest_path, failure=False))
    return None


def _has_code(folder: Path) -> bool:
    return any(True for _ in _code_under(folder, 1))


def _imports_bridge(folder: Path, repository: Path) -> bool:
    """Whether the project at ``folder`` uses @forge/bridge: its package.json or its first code files."""
    for name in ("package.json", "../package.json"):
        if BRIDGE in _small(folder / name, repository):
            return True
    return any(BRIDGE in _small(path, repository) for path in _code_under(folder, _MAX_PEEK_FILES))


def _code_under(folder: Path, limit: int):
    """Up to ``limit`` code files under ``folder`` (no symlinked folders, no installed packages)."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            if name.endswith(CODE_SUFFIXES):
                yield Path(dirpath) / name
                count += 1
                if count >= limit:
                    return


def _small(path: Path, repository: Path) -> bytes:
    try:
        return read_file(path, repository, _MAX_SMALL_FILE) if os.path.lexists(path) else b""
    except Unreadable:
        return b""


def _git_ignored(path: Path, repository: Path) -> bool:
    """Whether a .gitignore between ``repository`` and ``path`` ignores it (or a folder holding it).
    The common subset of gitignore: names, anchored paths, `*`/`**` globs, trailing `/`, `!` negation."""
    parts = path.relative_to(real(repository)).parts
    ignored = False
    for depth in range(len(parts)):
        folder = real(repository).joinpath(*parts[:depth])
        for line in _small(folder / ".gitignore", repository).decode("utf-8", "replace").splitlines():
            pattern = line.strip()
            if not pattern or pattern.startswith("#"):
                continue
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!").rstrip("/")
            for end in range(depth + 1, len(parts) + 1):
                if _gitignore_match(pattern, PurePosixPath(*parts[depth:end])):
                    ignored = not negate
    return ignored


def _gitignore_match(pattern: str, rel: PurePosixPath) -> bool:
    if "/" not in pattern:
        return fnmatch.fnmatchcase(rel.name, pattern)
    pattern = pattern.lstrip("/")
    text = rel.as_posix()
    return fnmatch.fnmatchcase(text, pattern) or (
        pattern.startswith("**/") and fnmatch.fnmatchcase(text, pattern[3:]))


def is_tooling(rel: PurePosixPath, project: bool = True) -> bool:
    """A path (relative to its frontend project, or to a source folder when not ``project``) the bundle
    holds none of: configs and stories anywhere, and the top folders of tests, e2e and scripts of a
    project (in a source folder, `tools/` may well be code the app imports)."""
    return ((project and rel.parts[:1] in [(d,) for d in TOOLING_DIRS])
            or any(fnmatch.fnmatchcase(rel.name, p) for p in TOOLING_FILES))

