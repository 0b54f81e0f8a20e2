"""Which gaps in an app's analysis make the scan incomplete.

A gap is a file whose findings may be missing: skipped by the loader, parsed
with syntax errors, excluded by a glob, or lying where the loader did not look
(a symlinked folder). A gap matters to a CI gate when the code runs: when a
manifest entry point reaches it, as the handler file or through the module
graph, transitively. Those notifications are marked ``blocking``; a gap no
entry point reaches stays a plain warning. An unreadable manifest always
blocks. When no handler file can be resolved, every backend file counts as
reached: nothing tells which ones run. A file with syntax errors nothing
reaches is "analysed partially": a warning that is no failure.

The same reach decides which files are deployed (``deployed_files``): only
their calls need scopes, so tests, scripts and tooling raise no finding.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from auditor.facts.manifest import ManifestFacts
from auditor.facts.modules import ModuleGraph, ModuleInfo, resolve_specifier
from auditor.frontend import BROWSER_PACKAGES, is_tooling
from auditor.loader import CODE_SUFFIXES, App
from auditor.model import Notification
from auditor.parsing import SYNTAX_ERRORS

_INCOMPLETE = "the scan is incomplete"
# `require(` / dynamic `import(` (not `x.require(`, `__webpack_require__(`, `require.resolve(`), and an
# argument that is one string literal.
# One pattern per name: a literal start lets `re` skip ahead fast (an alternation or a look-behind first
# costs a step at every byte of a bundle); what precedes the name is checked after a match.
_LOAD_CALLS = (re.compile(rb"require\s*\(\s*"), re.compile(rb"import\s*\(\s*"))
_NAME_BYTE = re.compile(rb"[\w$.]")
_LITERAL_ARGUMENT = re.compile(rb"(?:'[^'\\\n]*'|\"[^\"\\\n]*\"|`[^`\\$]*`)\s*[,)]")


def reached_files(app: App, manifest: ManifestFacts | None, graph: ModuleGraph,
                  notes: list[Notification]) -> dict[Path, str] | None:
    """Each file the functions' handler files reach, transitively, with the key of the first function
    reaching it; None when no handler file can be resolved (nothing tells which files run)."""
    starts = {f.handler_file: key for key, f in sorted(manifest.functions.items())
              if f.handler_file is not None} if manifest else {}
    if not starts:
        return None
    known = {n.path for n in notes if n.failure and n.path is not None} | set(graph.modules) | \
        {s.path for s in app.sources}
    return _reach(starts, graph, known, _OnDisk(app.root))


def deployed_files(app: App, manifest: ManifestFacts | None, graph: ModuleGraph, reached: dict[Path, str] | None,
                   resource_entries: dict[Path, ModuleInfo]) -> set[Path] | None:
    """The loaded code files that run once the app is deployed: what the handler files reach, what the
    entry files of UI Kit resources (``path: src/frontend/index.jsx``) reach, the Custom UI sources
    and the files importing @forge/bridge or @forge/react, but their tooling (stories, configs, e2e and
    script folders). Resource folders count by folder,
    not by import: bundler aliases (`@/components`) would otherwise hide code that runs. None when
    nothing sound tells which files run, and then any file may: the manifest is broken, a function's
    handler file cannot be found, or reached code loads a module by a computed name (`require(name)`,
    `import(`./${x}`)`)."""
    if manifest is None or reached is None or any(f.handler_file is None for f in manifest.functions.values()):
        return None
    modules = {**graph.modules, **resource_entries}
    known = set(modules) | {s.path for s in app.sources}
    bundled = _reach(dict.fromkeys(resource_entries, ""), ModuleGraph(modules, None), known, _OnDisk(app.root))
    runs = set(reached) | set(bundled)
    if any(_loads_computed_module(modules[path].parsed.data) for path in runs if path in modules):
        return None
    return runs | {s.path for s in app.sources if s.frontend and not app.is_frontend_tooling(s.path)} | \
        _browser_sources(app, graph)


def _browser_sources(app: App, graph: ModuleGraph) -> set[Path]:
    """Frontend source outside any resource folder: the files importing a browser-only Forge package,
    the files importing those (up to the frontend's entry) and all these import; tooling aside. The
    source of a committed bundle (``path: static/`` built from src/frontend), or UI Kit code the
    manifest's entry file does not reach: their calls are the app's, whichever copy runs."""
    seeds = {path for path, info in graph.modules.items() if info.specifiers & BROWSER_PACKAGES}
    roots = set(seeds)
    for seed in seeds:
        roots |= graph.graph.ancestors(seed)
    found = set(roots)
    for root in roots:
        found |= graph.graph.descendants(root)
    return {path for path in found if isinstance(path, Path)
            and not is_tooling(PurePosixPath(os.path.relpath(path, app.root).replace(os.sep, "/")))}


def _loads_computed_module(data: bytes) -> bool:
    return any(not _LITERAL_ARGUMENT.match(data, match.end())
               for pattern in _LOAD_CALLS for match in pattern.finditer(data)
               if not (match.start() and _NAME_BYTE.match(data, match.start() - 1)))


def mark_blocking(app: App, reached: dict[Path, str] | None, notes: list[Notification],
                  partial: set[Path] = frozenset()) -> list[Notification]:
    """``notes`` with the blocking ones marked, plus one blocking note per reached file that nothing
    else reported (excluded, or outside the folders scanned). The syntax errors of a file in
    ``partial`` (parsed with errors) that nothing reaches become a plain warning: its code does not
    run in the deployed app, so the scan is not the less complete for it."""
    gaps = {n.path for n in notes if n.failure and n.path is not None}
    if reached is not None:
        why = {path: f"function '{key}' reaches this file: {_INCOMPLETE}" for path, key in reached.items()}
    else:
        backend = (gaps | {s.path for s in app.sources if not s.frontend}) - {app.manifest_path}
        why = {path: f"no handler file could be resolved, so every backend file counts as reached: {_INCOMPLETE}"
               for path in backend if not app.is_frontend(path) and path.suffix in CODE_SUFFIXES}
    why[app.manifest_path] = f"the app cannot be analysed without its manifest: {_INCOMPLETE}"
    marked = []
    for note in notes:
        if note.failure and note.path in why:
            note = _block(note, why[note.path])
        elif note.failure and note.path in partial and note.message.startswith(SYNTAX_ERRORS):
            note = note._replace(level="warning", failure=False,
                           message=f"analysed partially: {note.message} (no entry point reaches this file)")
        marked.append(note)
    loaded = {s.path for s in app.sources}
    for path in sorted(set(why) - gaps - loaded - {app.manifest_path}):
        marked.append(_block(Notification("error", "not analysed: " + _unloaded(app, path, gaps), path), why[path]))
    return marked


def _reach(starts: dict[Path, str], graph: ModuleGraph, known: set[Path], on_disk) -> dict[Path, str]:
    """Each file reached from a handler file, with the function key of the first handler reaching it."""
    reached: dict[Path, str] = {}
    for start, key in starts.items():
        todo = [start]
        while todo:
            path = todo.pop()
            if path in reached:
                continue
            reached[path] = key
            info = graph.modules.get(path)
            for specifier in sorted(info.specifiers) if info else ():
                target = resolve_specifier(specifier, path, known)
                if target is None and (target := resolve_specifier(specifier, path, on_disk)) is not None:
                    # through a symlinked folder inside the app: the file was loaded under its real path
                    real = Path(os.path.realpath(target))
                    target = real if real in known else target
                if target is not None:
                    todo.append(target)
    return reached


class _OnDisk:
    """A code file inside the app that exists but was not loaded (``in`` is what resolve_specifier asks).
    Installed packages are not app code, by design never analysed: they are not gaps."""

    def __init__(self, root: Path):
        self.root = root

    def __contains__(self, path: Path) -> bool:
        return (path.suffix in CODE_SUFFIXES and self.root in path.parents
                and "node_modules" not in path.relative_to(self.root).parts
                and os.path.lexists(path) and not path.is_dir())


def _unloaded(app: App, path: Path, gaps: set[Path]) -> str:
    for folder in [path, *path.parents]:
        if folder in app.excluded:
            return f"excluded by '{app.excluded[folder]}'"
        if folder in gaps:
            return f"it lies in the skipped folder {folder.relative_to(app.root).as_posix()}"
    return "it lies outside the folders scanned for this app"


def _block(note: Notification, why: str) -> Notification:
    return note._replace(level="error", message=f"{note.message} ({why})", blocking=True)
