"""Facts read from manifest.yml: scopes, egress, CSP, functions, triggers, resources.

Every fact carries the location of its YAML node, so findings point at the
exact line a developer has to change. Malformed sections are skipped here
(the schema check reports them); facts are taken from whatever is well formed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from auditor.model import Location
from auditor.yamldoc import YamlDoc

HANDLER_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
EXTERNAL_KINDS = ("images", "media", "scripts", "styles", "fonts", "frames", "navigation")


class DeclaredScope(NamedTuple):
    name: str
    location: Location
    allow_impersonation: bool = False
    impersonation_location: Location | None = None


class EgressEntry(NamedTuple):
    kind: str          # fetch.backend, fetch.client, images, ...
    address: str
    location: Location


class FunctionDecl(NamedTuple):
    key: str
    handler: str | None          # None when missing or not `file.export` (the schema reports it)
    location: Location           # the handler value
    handler_file: Path | None    # None when no candidate file exists


class TriggerEvent(NamedTuple):
    event: str
    module_key: str
    location: Location


@dataclass
class ResourceDecl:
    location: Location                                    # the key
    entries: dict[str, str] = field(default_factory=dict)  # entry key -> file in the path ('resource: key/entry')


class Reference(NamedTuple):
    """A module field naming another declaration (a function or resource key)."""

    target_kind: str   # function | resource | endpoint
    target: str
    location: Location
    module_type: str = ""
    module_key: str = ""


@dataclass
class ManifestFacts:
    path: Path
    scopes: list[DeclaredScope] = field(default_factory=list)
    scopes_location: Location | None = None
    egress: list[EgressEntry] = field(default_factory=list)
    content_scripts: list[tuple[str, Location]] = field(default_factory=list)
    content_styles: list[tuple[str, Location]] = field(default_factory=list)
    functions: dict[str, FunctionDecl] = field(default_factory=dict)
    resources: dict[str, ResourceDecl] = field(default_factory=dict)
    endpoints: set[str] = field(default_factory=set)
    references: list[Reference] = field(default_factory=list)
    module_keys: list[tuple[str, str, Location]] = field(default_factory=list)  # (type, key, loc)
    events: list[TriggerEvent] = field(default_factory=list)
    runtime_name: str | None = None
    runtime_location: Location | None = None
    app_location: Location | None = None
    token_remotes: dict[str, Location] = field(default_factory=dict)  # appSystemToken/appUserToken
    remote_urls: list[str] = field(default_factory=list)


def read_manifest(doc: YamlDoc, path: Path, app_root: Path) -> ManifestFacts:
    facts = ManifestFacts(path=path)

    def loc(node_path: tuple, key: bool = False) -> Location:
        return Location(path, doc.region(node_path, key=key))

    _scopes(doc, facts, loc)
    _permissions(doc, facts, loc)
    _app(doc, facts, loc)
    _resources(doc, facts, loc)
    _remotes(doc, facts, loc)
    _modules(doc, facts, loc, app_root)
    return facts


def _items(doc: YamlDoc, node_path: tuple) -> list[tuple[int, Any]]:
    value = doc.get(node_path)
    return list(enumerate(value)) if isinstance(value, list) else []


def _scopes(doc: YamlDoc, facts: ManifestFacts, loc) -> None:
    """Both documented forms: a list of names, or a map of name -> {allowImpersonation}."""
    base = ("permissions", "scopes")
    declared = doc.get(base)
    if declared is not None:
        facts.scopes_location = loc(base, key=True)
    if isinstance(declared, dict):
        for name, settings in declared.items():
            imp = isinstance(settings, dict) and settings.get("allowImpersonation") is True
            facts.scopes.append(DeclaredScope(
                str(name), loc(base + (name,), key=True), imp,
                loc(base + (name, "allowImpersonation"), key=True) if imp else None,
            ))
    for i, item in _items(doc, base):
        if isinstance(item, str):
            facts.scopes.append(DeclaredScope(item, loc(base + (i,))))


def _addresses(doc: YamlDoc, node_path: tuple, kind: str, loc) -> list[EgressEntry]:
    entries = []
    for i, item in _items(doc, node_path):
        if isinstance(item, str):
            entries.append(EgressEntry(kind, item, loc(node_path + (i,))))
        elif isinstance(item, dict) and isinstance(item.get("address"), str):
            entries.append(EgressEntry(kind, item["address"], loc(node_path + (i, "address"))))
    return entries


def _permissions(doc: YamlDoc, facts: ManifestFacts, loc) -> None:
    external = ("permissions", "external")
    for side in ("backend", "client"):
        facts.egress += _addresses(doc, external + ("fetch", side), f"fetch.{side}", loc)
    for kind in EXTERNAL_KINDS:
        facts.egress += _addresses(doc, external + (kind,), kind, loc)
    for kind, target in (("scripts", facts.content_scripts), ("styles", facts.content_styles)):
        node_path = ("permissions", "content", kind)
        for i, item in _items(doc, node_path):
            if isinstance(item, str):
                target.append((item, loc(node_path + (i,))))


def _app(doc: YamlDoc, facts: ManifestFacts, loc) -> None:
    if isinstance(doc.get(("app",)), dict):
        facts.app_location = loc(("app",), key=True)
    name = doc.get(("app", "runtime", "name"))
    if isinstance(name, str):
        facts.runtime_name = name
        facts.runtime_location = loc(("app", "runtime", "name"))


def _resources(doc: YamlDoc, facts: ManifestFacts, loc) -> None:
    for i, item in _items(doc, ("resources",)):
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            entry = item.get("entry")
            entries = {str(k): v for k, v in entry.items() if isinstance(v, str)} if isinstance(entry, dict) else {}
            facts.resources[item["key"]] = ResourceDecl(loc(("resources", i, "key")), entries)


def _remotes(doc: YamlDoc, facts: ManifestFacts, loc) -> None:
    for i, item in _items(doc, ("remotes",)):
        base_url = item.get("baseUrl") if isinstance(item, dict) else None
        urls = base_url.values() if isinstance(base_url, dict) else [base_url]
        facts.remote_urls += [url for url in urls if isinstance(url, str)]
        auth = item.get("auth") if isinstance(item, dict) else None
        if not isinstance(auth, dict):
            continue
        for token in ("appSystemToken", "appUserToken"):
            setting = auth.get(token)
            if isinstance(setting, dict) and setting.get("enabled") is True:
                facts.token_remotes[token] = loc(("remotes", i, "auth", token), key=True)


def _modules(doc: YamlDoc, facts: ManifestFacts, loc, app_root: Path) -> None:
    modules = doc.get(("modules",))
    if not isinstance(modules, dict):
        return
    for module_type, items in modules.items():
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            base = ("modules", module_type, i)
            key = item.get("key")
            if isinstance(key, str):
                facts.module_keys.append((module_type, key, loc(base + ("key",))))
            if module_type == "function":
                _function(item, base, facts, loc, app_root)
            elif module_type == "endpoint" and isinstance(key, str):
                facts.endpoints.add(key)
            if module_type == "trigger":
                for j, event in enumerate(item.get("events") or [] if isinstance(item.get("events"), list) else []):
                    if isinstance(event, str):
                        facts.events.append(TriggerEvent(event, str(key), loc(base + ("events", j))))
                    elif isinstance(event, dict) and isinstance(event.get("eventType"), str):  # an event with its filter
                        facts.events.append(TriggerEvent(event["eventType"], str(key),
                                                         loc(base + ("events", j, "eventType"))))
            _references(item, base, facts, loc, module_type, str(key))


def _function(item: dict, base: tuple, facts: ManifestFacts, loc, app_root: Path) -> None:
    key, handler = item.get("key"), item.get("handler")
    if not isinstance(key, str):
        return
    if not isinstance(handler, str) or "." not in handler.strip("."):
        facts.functions[key] = FunctionDecl(key, None, loc(base), None)
        return
    facts.functions[key] = FunctionDecl(key, handler, loc(base + ("handler",)), handler_file(app_root, handler))


def handler_file(app_root: Path, handler: str) -> Path | None:
    """``index.run`` -> src/index.{ts,tsx,js,...} or src/index/index.*, if one is there. "There" includes
    files the loader skips (a FIFO, a symlink leaving the app): the handler exists but was not analysed,
    which the completeness check reports, rather than "no such file". Never a path outside the app."""
    module = handler.rsplit(".", 1)[0]
    base = Path(os.path.normpath(app_root / "src" / module))
    if app_root not in base.parents:
        return None
    for candidate in [base.with_name(base.name + s) for s in HANDLER_SUFFIXES] + \
                     [base / f"index{s}" for s in HANDLER_SUFFIXES]:
        if os.path.lexists(candidate) and not candidate.is_dir():
            return candidate
    return None


def _references(item: dict, base: tuple, facts: ManifestFacts, loc, module_type: str, module_key: str) -> None:
    """function/resource/endpoint names a module points at, wherever they nest."""

    def walk(node: Any, node_path: tuple) -> None:
        if isinstance(node, dict):
            for field_name, value in node.items():
                here = node_path + (field_name,)
                if field_name in ("function", "resource", "endpoint") and isinstance(value, str):
                    facts.references.append(Reference(field_name, value, loc(here), module_type, module_key))
                elif field_name != "key":
                    walk(value, here)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, node_path + (i,))

    walk(item, base)
