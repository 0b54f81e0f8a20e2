"""Invocation inputs for two tenants that ask for the same things.

The payload fields an entry point reads are taken from its code
(`payload.issueKey`, `const { projectKey } = payload`, `JSON.parse(request.body)`).
Identifier-like fields (keys and ids) get the same value for both tenants, so
both ask for `PROJ-1`; every other field carries the tenant's canary, so data
that came from tenant A is recognisable wherever it turns up.
"""

from __future__ import annotations

import json
import re
from typing import Any

SHARED_VALUES = [
    (re.compile(r"issue", re.I), "PROJ-1"), (re.compile(r"project", re.I), "PROJ"),
    (re.compile(r"page|content|blog", re.I), "12345"), (re.compile(r"space", re.I), "SPACE"),
    (re.compile(r"board", re.I), "42"), (re.compile(r"sprint", re.I), "7"), (re.compile(r"filter", re.I), "10042"),
    (re.compile(r"account|user|assignee|reporter", re.I), "5b10ac8d82e05b22cc7d4ef5"),
    (re.compile(r"jql", re.I), "project = PROJ"), (re.compile(r"comment", re.I), "10100"),
    (re.compile(r"component", re.I), "10010"), (re.compile(r"version", re.I), "10020"),
    (re.compile(r"email", re.I), "someone@example.com"),
]
KEYISH = re.compile(r"(key|id|slug|jql|type|kind|status|mode|lang|locale|action|priority|email)s?$", re.I)
KEYISH_CASED = re.compile(r"(Key|Id)s?$")
# Identifiers of one invocation, request or job: two tenants never send the same one, so they are never
# shared (a cache keyed by one cannot hand one tenant's entry to another).
PER_INVOCATION = re.compile(r"(job|request|invocation|trace|span|correlation|session|message|execution|delivery|event)"
                            r"[_-]?ids?$|uuid$|guid$|nonce$", re.I)
_PATH = r"(?:(?:\?\.|\.)[A-Za-z_$][\w$]*|\[\s*['\"][^'\"]+['\"]\s*\])+"


def is_keyish(name: str) -> bool:
    return bool(KEYISH.search(name) or KEYISH_CASED.search(name)) and not PER_INVOCATION.search(name)


def js_rules() -> dict:
    """The same naming rules for the sandbox, which makes up fields the code reads at run time."""
    return {"shared": [[pattern.pattern, value] for pattern, value in SHARED_VALUES],
            "keyish": KEYISH.pattern, "keyishCased": KEYISH_CASED.pattern, "perInvocation": PER_INVOCATION.pattern}


def shared_value(name: str) -> str:
    for pattern, value in SHARED_VALUES:
        if pattern.search(name):
            return value
    return "KEY-1" if re.search(r"key$", name, re.I) else "1001"


def leaf(name: str, canary: str, path: str = "") -> Any:
    """The value of a field at the end of ``path`` (e.g. `issue.key`): shared when identifier-like."""
    if is_keyish(name):
        value = shared_value(path or name)
        return [value] if name.endswith("s") and not name.endswith("ss") else value
    return f"{canary}:{name}"


def _paths(source: str, root: str) -> list[list[str]]:
    found = []
    for match in re.finditer(rf"(?<![\w$.]){re.escape(root)}({_PATH})", source):
        parts = re.findall(r"[A-Za-z_$][\w$]*|(?<=\[['\"])[^'\"]+", match.group(1))
        found.append(parts)
    for match in re.finditer(rf"(?:const|let|var)\s*\{{([^}}]*)\}}\s*=\s*{re.escape(root)}((?:\.[\w$]+)*)\s*[;\n]",
                             source):
        prefix = [p for p in match.group(2).split(".") if p]
        for name in re.findall(r"([A-Za-z_$][\w$]*)\s*(?::[^,]*)?(?:,|$)", match.group(1)):
            found.append(prefix + [name])
    return found


def _build(paths: list[list[str]], canary: str, values: bool = False) -> dict:
    """Nested objects along the paths the code reads, with shared values at identifier-like leaves.
    Other leaves are left out (the sandbox makes them up, shaped as the code uses them) unless
    ``values`` asks for canary strings (for JSON bodies, which cannot be made up later)."""
    out: dict = {}
    for parts in sorted(paths, key=len):
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                value = leaf(part, canary, ".".join(parts[-2:]))
                if values or not (isinstance(value, str) and value.startswith(canary)):
                    node.setdefault(part, value)
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return out


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base.setdefault(key, value)
    return base


def context(tenant: dict) -> dict:
    cloud = tenant["cloudId"]
    return {
        "cloudId": cloud, "installContext": f"ari:cloud:jira::site/{cloud}", "workspaceId": f"ws-{cloud}",
        "installation": {"ari": {"installationId": tenant["installation"]}, "contexts": [{"cloudId": cloud}]},
        "accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "licensed", "localId": "local-1",
        "moduleKey": "module", "environmentType": "PRODUCTION", "environmentId": "env-1",
        "principal": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}, "license": {"isActive": True, "active": True},
        "extension": {
            "type": "jira:issuePanel", "issue": {"key": "PROJ-1", "id": "10001", "type": "Task"},
            "project": {"key": "PROJ", "id": "10000", "type": "software"},
            "content": {"id": "12345", "type": "page"}, "space": {"key": "SPACE", "id": "98304"},
            "board": {"id": "42"}, "sprint": {"id": "7"}, "config": {}, "gadget": {},
        },
    }


def payload_for(kind: str, source: str, params: list[str], tenant: dict) -> Any:
    """The first argument an entry receives. ``kind``: resolver, webtrigger, trigger, consumer,
    scheduledTrigger or function; ``source`` is the entry function's code; ``params`` its
    parameter names (for resolvers: the names bound to `payload`)."""
    canary = tenant["canary"]
    roots = [p for p in params if p] or ["payload"]
    paths = [path for root in roots for path in _paths(source, root)]
    if kind == "webtrigger":
        body_paths: list[list[str]] = []
        for root in roots:
            for match in re.finditer(rf"([A-Za-z_$][\w$]*)\s*=\s*JSON\.parse\(\s*{re.escape(root)}\.body\s*\)", source):
                body_paths += _paths(source, match.group(1))
        body = _merge(_build(body_paths, canary, values=True), {f: f"{canary}:{f}" for f in
                                                    ("summary", "subject", "description", "message", "text")})
        request = {"method": "POST", "path": "/", "userPath": "", "queryParameters": {},
                   "headers": {"content-type": ["application/json"]}, "body": json.dumps(body)}
        return _merge(request, _build([p for p in paths if p[:1] not in (["body"], ["method"])], canary))
    built = _build(paths, canary)
    if kind == "trigger":
        return _merge(built, {"eventType": "avi:jira:created:issue", "atlassianId": "5b10ac8d82e05b22cc7d4ef5",
                              "issue": {"id": "10001", "key": "PROJ-1", "fields": {
                                  "summary": f"{canary}:summary", "description": f"{canary}:description",
                                  "priority": {"name": "Highest"}, "status": {"name": "Open"},
                                  "project": {"key": "PROJ", "id": "10000"}}},
                              "timestamp": "2026-01-01T00:00:00.000Z"})
    if kind == "consumer":
        body = built.pop("body", {}) if isinstance(built.get("body"), dict) else {}
        return _merge(built, {"body": _merge(body, {"issueKey": "PROJ-1", "text": f"{canary}:text"}),
                              "jobId": f"job-{canary}"})
    if kind == "scheduledTrigger":
        return _merge(built, {"context": {"cloudId": tenant["cloudId"], "moduleKey": "module"},
                              "contextToken": f"{canary}:token"})
    return built
