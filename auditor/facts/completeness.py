"""Which gaps in an app's analysis make the scan incomplete.

A gap is a file whose findings may be missing: skipped by the loader, parsed
with syntax errors, excluded by a glob, or lying where the loader did not look
(a symlinked folder). A gap matters to a CI gate when the code runs: when a
manifest entry point reaches it, as the handler file or through the module
graph, transitively. Those notifications are marked ``blocking``; a gap no
entry point reaches stays a plain warning. An unreadable manifest always
blocks. When no handler file can be resolved, every backend file counts as
reached: nothing tells which ones run.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from auditor.facts.manifest import ManifestFacts
from auditor.facts.modules import ModuleGraph, resolve_specifier
from auditor.loader import CODE_SUFFIXES, App
from auditor.model import Notification

_INCOMPLETE = "the scan is incomplete"


def mark_blocking(app: App, manifest: ManifestFacts | None, graph: ModuleGraph,
                  notes: list[Notification]) -> list[Notification]:
    """``notes`` with the blocking ones marked, plus one blocking note per reached file that nothing
    else reported (excluded, or outside the folders scanned)."""
    gaps = {n.path for n in notes if n.failure and n.path is not None}
    starts = {f.handler_file: key for key, f in sorted(manifest.functions.items())
              if f.handler_file is not None} if manifest else {}
    if starts:
        known = gaps | set(graph.modules) | {s.path for s in app.sources}
        reached = _reach(starts, graph, known, _OnDisk(app.root))
        why = {path: f"function '{key}' reaches this file: {_INCOMPLETE}" for path, key in reached.items()}
    else:
        backend = (gaps | set(graph.modules)) - {app.manifest_path}
        why = {path: f"no handler file could be resolved, so every backend file counts as reached: {_INCOMPLETE}"
               for path in backend if not app.is_frontend(path) and path.suffix in CODE_SUFFIXES}
    why[app.manifest_path] = f"the app cannot be analysed without its manifest: {_INCOMPLETE}"
    marked = [_block(n, why[n.path]) if n.failure and n.path in why else n for n in notes]
    for path in sorted(set(why) - gaps - set(graph.modules) - {s.path for s in app.sources} - {app.manifest_path}):
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
    return replace(note, level="error", message=f"{note.message} ({why})", blocking=True)
