"""Find Forge apps on disk and read their manifest and code, safely.

Every ``manifest.yml`` under a scanned path is an app; its code is every
JS/TS file under the app directory. Whatever cannot be read as intended
(binary, too large, unreadable, a symlink leaving the app, bad YAML) becomes
a notification, and the scan goes on with the rest.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditor.model import Notification, Region
from auditor.yamldoc import YamlDoc, YamlError, YamlProblem, decode_yaml_bytes, load_yaml

CODE_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
SKIP_DIRS = {"node_modules", ".git"}
# Test code runs against mocks in CI, never in a tenant's invocation.
DEFAULT_EXCLUDES = ("*/__tests__/*", "*/__mocks__/*", "*.test.*", "*.spec.*")
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
MANIFEST = "manifest.yml"
# Custom UI resources usually point at a build folder; their sources sit beside it.
BUILD_DIRS = {"build", "dist", "out", "public"}


@dataclass(frozen=True)
class LoadOptions:
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES


@dataclass
class SourceFile:
    path: Path
    data: bytes
    frontend: bool = False


@dataclass
class App:
    root: Path
    manifest_path: Path
    manifest: YamlDoc | None = None
    manifest_problem: YamlProblem | None = None
    manifest_lines: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


def discover_apps(paths: list[Path], options: LoadOptions) -> list[Path]:
    """App directories (holding manifest.yml) under each path, sorted, without duplicates."""
    roots: set[Path] = set()
    for path in paths:
        path = path.resolve()
        if path.is_file():
            if path.name == MANIFEST:
                roots.add(path.parent)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            here = Path(dirpath)
            if MANIFEST in filenames and not _excluded(here / MANIFEST, path, options.exclude):
                roots.add(here)
    return sorted(roots)


def _excluded(path: Path, base: Path, patterns: tuple[str, ...]) -> bool:
    try:
        rel = "/" + PurePosixPath(path.relative_to(base)).as_posix()
    except ValueError:
        return False
    return any(fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, "*/" + pattern.lstrip("/"))
               for pattern in patterns)


def _read_limited(path: Path, options: LoadOptions, notes: list[Notification]) -> bytes | None:
    try:
        size = path.stat().st_size
        if size > options.max_file_size:
            notes.append(Notification(
                "warning",
                f"skipped: file is {size:,} bytes, over the {options.max_file_size:,}-byte limit "
                "(raise max-file-size in .forge-audit.yml or --max-file-size)",
                path,
            ))
            return None
        return path.read_bytes()
    except OSError as exc:
        notes.append(Notification("error", f"skipped: cannot read file: {exc.strerror or exc}", path))
        return None


def load_app(root: Path, options: LoadOptions, other_roots: set[Path] = frozenset()) -> App:
    app = App(root=root, manifest_path=root / MANIFEST)
    _load_manifest(app, options)
    frontend_roots = _frontend_roots(app)
    for path in _code_files(app, options, other_roots):
        data = _read_limited(path, options, app.notifications)
        if data is None:
            continue
        if b"\0" in data[:8192]:
            app.notifications.append(Notification("warning", "skipped: binary file (contains NUL bytes)", path))
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            app.notifications.append(Notification(
                "warning",
                f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); undecodable bytes were replaced",
                path, Region(line, 1), failure=False,
            ))
            data = data.decode("utf-8", "replace").encode("utf-8")
        frontend = any(path == f or f in path.parents for f in frontend_roots)
        app.sources.append(SourceFile(path=path, data=data, frontend=frontend))
    return app


def _load_manifest(app: App, options: LoadOptions) -> None:
    if app.manifest_path.is_symlink() and not _inside(app.manifest_path, app.root.resolve()):
        app.manifest_problem = YamlProblem("manifest.yml is a symlink to a file outside the app; not read",
                                           Region(1, 1))
        return
    data = _read_limited(app.manifest_path, options, app.notifications)
    if data is None:
        app.manifest_problem = YamlProblem("manifest.yml could not be read (see notifications)", Region(1, 1))
        return
    try:
        text = decode_yaml_bytes(data)
        app.manifest_lines = text.splitlines()
        app.manifest = load_yaml(text)
    except YamlError as exc:
        app.manifest_problem = exc.problem
        return
    if not isinstance(app.manifest.data, dict):
        app.manifest_problem = YamlProblem("manifest.yml must be a YAML mapping with an 'app' section", Region(1, 1))
        app.manifest = None


def _frontend_roots(app: App) -> list[Path]:
    """Files and folders of Custom UI / UI Kit resources: they run in the browser."""
    if app.manifest is None:
        return []
    roots = []
    resources = app.manifest.get(("resources",)) or []
    for resource in resources if isinstance(resources, list) else []:
        rel = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(rel, str) or not rel.strip():
            continue
        target = (app.root / rel).resolve()
        if app.root.resolve() not in target.parents:
            continue
        roots.append(target)
        if target.name in BUILD_DIRS:
            roots.append(target.parent)
    return roots


def _code_files(app: App, options: LoadOptions, other_roots: set[Path]):
    root = app.root
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            sub = here / d
            if d in SKIP_DIRS or sub in other_roots or _excluded(sub, root, options.exclude):
                continue
            if sub.is_symlink():
                if not _inside(sub, real_root):
                    app.notifications.append(Notification(
                        "warning", "skipped: symlinked folder points outside the app", sub))
                continue  # never followed: inside targets are walked on their own
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if not name.endswith(CODE_SUFFIXES) or name.endswith(".d.ts"):
                continue
            if _excluded(path, root, options.exclude):
                continue
            if path.is_symlink() and not _inside(path, real_root):
                app.notifications.append(Notification(
                    "warning", "skipped: symlink points outside the app", path))
                continue
            yield path


def _inside(path: Path, real_root: Path) -> bool:
    try:
        target = path.resolve()
    except OSError:
        return False
    return target == real_root or real_root in target.parents
