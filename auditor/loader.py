"""Find Forge apps on disk and read their manifest and code, safely.

Every ``manifest.yml`` under a scanned path is an app; its code is every
JS/TS file under the app directory, plus the frontend projects found outside
it for resources whose build folder is not in the repository
(``auditor.frontend``). Files are read only through
``auditor.safe_read``; whatever cannot be read as intended (binary, too large,
not a regular file, a symlink leaving the app or looping, bad YAML) becomes a
notification, excluded files are recorded in ``App.excluded``, and the scan
goes on with the rest: the facts stage decides whether a gap makes the scan
incomplete.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from auditor import frontend
from auditor.frontend import CODE_SUFFIXES
from auditor.fspath import inside, real
from auditor.model import Notification, Region
from auditor.safe_read import Unreadable, read_file
from auditor.yamldoc import YamlDoc, YamlError, YamlProblem, decode_yaml_bytes, load_yaml

SKIP_DIRS = {"node_modules", ".git"}
# Test code runs against mocks in CI, never in a tenant's invocation.
DEFAULT_EXCLUDES = ("*/__tests__/*", "*/__mocks__/*", "*.test.*", "*.spec.*")
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
MANIFEST = "manifest.yml"
BINARY_WINDOW = 8192
# C0 controls that never occur in text (tab, LF, VT, FF, CR and ESC do).
_CONTROL_BYTES = bytes(c for c in range(32) if c not in b"\t\n\x0b\x0c\r\x1b") + b"\x7f"


class LoadOptions(NamedTuple):
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    # resource key -> folder of its frontend source, relative to the app folder (`.forge-audit.yml` resources)
    resources: tuple[tuple[str, str], ...] = ()


class SourceFile(NamedTuple):
    path: Path
    data: bytes
    frontend: bool = False


@dataclass
class App:
    root: Path
    manifest_path: Path
    manifest: YamlDoc | None = None
    manifest_problem: YamlProblem | None = None
    manifest_data: bytes | None = None
    sources: list[SourceFile] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    frontend_roots: list[Path] = field(default_factory=list)
    # The folder the loader may read beyond the app: the repository (nearest ancestor with .git) or the
    # scanned path.
    repository: Path | None = None
    # Resource key -> (source folder read for it, why): frontend code found beside a build output folder
    # that is not in the repository. Folders outside the app are read as well.
    frontend_sources: dict[str, tuple[Path, str]] = field(default_factory=dict)
    # Git-ignored build output folders replaced by their source: not read (the source holds the calls).
    replaced_builds: set[Path] = field(default_factory=set)
    # Files and folders left out by an exclude glob (path -> the glob): no notification unless code
    # that runs needs them (auditor.facts.completeness).
    excluded: dict[Path, str] = field(default_factory=dict)
    _projects: dict[str, bool] = field(default_factory=dict, repr=False)

    def is_frontend(self, path: Path) -> bool:
        return self._frontend_root(path) is not None

    def is_frontend_tooling(self, path: Path) -> bool:
        """A frontend project's configs, stories, e2e tests and scripts: the bundle holds none of them."""
        root = self._frontend_root(path)
        if root is None:
            return False
        if root not in self._projects:  # a package's root (package.json), not one of its source folders
            self._projects[root] = os.path.isfile(os.path.join(root, "package.json"))
        rel = PurePosixPath(str(path)[len(root) + 1:].replace(os.sep, "/"))
        return frontend.is_tooling(rel, project=self._projects[root])

    def _frontend_root(self, path: Path) -> str | None:
        """The innermost frontend root holding ``path``."""
        return max((str(root) for root in self.frontend_roots if inside(path, root)), key=len, default=None)


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


def _excluded(path: Path, base: Path, patterns: tuple[str, ...]) -> str | None:
    """The first glob of ``patterns`` matching ``path`` (relative to ``base``), if any."""
    try:
        rel = "/" + PurePosixPath(path.relative_to(base)).as_posix()
    except ValueError:
        return None
    return next((pattern for pattern in patterns
                 if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, "*/" + pattern.lstrip("/"))), None)


def scanned_path(root: Path, paths: list[Path]) -> Path:
    """The scanned path ``root`` (an app folder) was found under."""
    for path in paths:
        path = path.resolve()
        folder = path.parent if path.is_file() else path
        if folder == root or folder in root.parents:
            return folder
    return root


def load_app(root: Path, options: LoadOptions, other_roots: set[Path] = frozenset(),
             scanned: Path | None = None) -> App:
    """``scanned``: the path the app was found under; it bounds what is read beyond the app folder when
    no enclosing repository (a folder with .git) is found."""
    app = App(root=root, manifest_path=root / MANIFEST)
    _load_manifest(app, options)
    app.repository = _repository(root, scanned or root)
    app.frontend_roots = frontend.frontend_roots(app, options)
    for path in _code_files(app, options, other_roots):
        base = app.root if inside(path, app.root) else app.repository
        try:
            data = read_file(path, base, options.max_file_size)
        except Unreadable as exc:
            _skip(app, path, str(exc))
            continue
        if _looks_binary(data):
            _skip(app, path, "binary file")
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
        app.sources.append(SourceFile(path=path, data=data, frontend=app.is_frontend(path)))
    return app


def _skip(app: App, path: Path, reason: str) -> None:
    app.notifications.append(Notification("warning", f"skipped: {reason}", path))


def _looks_binary(data: bytes) -> bool:
    """NUL bytes are legal in JS strings and comments, so a NUL alone does not make a file binary: its
    first 8 KiB must also be invalid UTF-8 or more than a tenth control bytes (UTF-16 text, images)."""
    head = data[:BINARY_WINDOW]
    if b"\0" not in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(data) <= BINARY_WINDOW)
    except UnicodeDecodeError:
        return True
    return sum(head.count(bytes([c])) for c in _CONTROL_BYTES) * 10 > len(head)


def _load_manifest(app: App, options: LoadOptions) -> None:
    try:
        data = read_file(app.manifest_path, app.root, options.max_file_size)
    except Unreadable as exc:
        _skip(app, app.manifest_path, str(exc))
        app.manifest_problem = YamlProblem(f"manifest.yml was not read: {exc}", Region(1, 1))
        return
    app.manifest_data = data
    try:
        app.manifest = load_yaml(decode_yaml_bytes(data))
    except YamlError as exc:
        app.manifest_problem = exc.problem
        return
    if not isinstance(app.manifest.data, dict):
        app.manifest_problem = YamlProblem("manifest.yml must be a YAML mapping with an 'app' section", Region(1, 1))
        app.manifest = None


def _code_files(app: App, options: LoadOptions, other_roots: set[Path]):
    """Code files to read: the app folder's, then those of frontend source folders outside it."""
    yield from _walk(app, app.root, options, other_roots)
    outside = sorted({folder for folder, _ in app.frontend_sources.values() if not inside(folder, app.root)})
    for folder in outside:
        if not any(inside(folder, other) for other in outside if other != folder):
            yield from _walk(app, folder, options, other_roots)


def _walk(app: App, root: Path, options: LoadOptions, other_roots: set[Path]):
    """Symlinked files are yielded (read_file judges where they lead); symlinked folders are never
    followed."""
    real_root = real(app.root if inside(root, app.root) else app.repository)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            sub = here / d
            if d in SKIP_DIRS or sub in other_roots or sub in app.replaced_builds or _exclude(app, sub, options):
                continue
            if sub.is_symlink():
                target = real(sub)
                if target != real_root and real_root not in target.parents:
                    app.notifications.append(Notification(
                        "warning", f"skipped: symlinked folder points outside the "
                                   f"{'app' if root == app.root else 'repository'}", sub))
                continue  # inside targets are walked on their own
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name.endswith(CODE_SUFFIXES) and not name.endswith(".d.ts") and not _exclude(app, path, options):
                yield path


def _repository(root: Path, scanned: Path) -> Path:
    """The nearest folder holding ``root`` with a .git entry, else the scanned path."""
    for folder in [root, *root.parents]:
        if os.path.lexists(folder / ".git"):
            return folder
    return scanned


def _exclude(app: App, path: Path, options: LoadOptions) -> bool:
    # a frontend folder outside the app: its globs match from the repository (`*.test.*` alike)
    glob = _excluded(path, app.root if inside(path, app.root) else app.repository, options.exclude)
    if glob is not None:
        app.excluded[path] = glob
    return glob is not None
