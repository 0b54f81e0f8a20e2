"""Reports a manifest.yml that cannot be loaded, breaks the manifest schema, or points at nothing.

## What it does
* YAML problems: syntax errors, tabs in indentation, duplicate keys, invalid
  UTF-8, alias bombs, files over the size limit.
* Schema violations (forge-audit's own JSON Schema of the documented manifest):
  unknown top-level or `permissions` keys (with a "did you mean"), a malformed
  `app.id`, an unknown `app.runtime.name`, a `function` without `key` or
  `handler`, a handler without an export part, a bad trigger interval, ...
  Values are checked as deployed: `${NAME}` replaced by the default of the
  `environment.variables` entry NAME (an undeclared name stays as written).
* `permissions.external` addresses the Forge CLI rejects: `http://` URLs, a
  host with characters a domain cannot have (`*example.com`), no domain at all.
* Broken references: module keys used twice, a `function:` or `resolver.function`
  naming no declared function, a `resource:` naming no declared resource (or,
  in the `resource: <key>/<entry>` form of resources with several entry points,
  no entry of the resource's `entry` map), an `endpoint:` naming no endpoint
  module, a handler whose file does not exist under `src/`.

An entry reported here gets no other finding (the engine drops what other
rules say about it: a wildcard in a malformed egress address, an "unknown
scope" that is two scopes on one line): one finding per problem.

## Why is this bad?
`forge deploy` rejects the manifest, or worse, the app deploys with a module
that can never run. forge-audit also cannot check what it cannot read.

## Example
```yaml
permisions:
  scopes: [read:jira-work]
```

## How to fix
Follow the message: it names the offending key or value and, where it can, the
closest valid spelling.
"""

from __future__ import annotations

import functools
import re

from auditor.model import Location
from rules import catalog
from rules.base import Rule
from rules.egress import address_problem
from rules.suggest import Suggester

REFERENCE_TARGETS = {"function": "functions", "resource": "resources", "endpoint": "endpoints"}
MAX_LISTED = 20  # declared names listed when none is close


def check(facts):
    app = facts.app
    if app.manifest_problem is not None:
        yield RULE.finding(app.manifest_problem.message, Location(app.manifest_path, app.manifest_problem.region))
        return
    if app.manifest is None or facts.manifest is None:
        return
    yield from _schema_findings(app)
    yield from _duplicate_keys(facts.manifest)
    yield from _references(facts.manifest)
    yield from _egress_addresses(facts.manifest)


def _conforms(data) -> bool:
    """Does the manifest pass the validator generated from the schema (rules/data/manifest_validator.py)?
    It is cheap to import; jsonschema (~130 ms to import and build) only explains what it rejects, or
    what it fails on, so the findings are jsonschema's either way."""
    from rules.data import manifest_validator

    try:
        manifest_validator.validate(data)
    except Exception:  # a violation, or input the generated code does not expect: jsonschema judges
        return False
    return True


@functools.cache
def _validator():
    import jsonschema  # ~130 ms to import and build: only for a manifest that breaks the schema

    return jsonschema.Draft202012Validator(catalog.manifest_schema())


def _schema_findings(app):
    doc = app.manifest
    data = _with_variables(doc.data)
    if _conforms(data):
        return
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        if error.context:
            from jsonschema.exceptions import best_match

            error = best_match(error.context) or error
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            suggest = Suggester(error.schema.get("properties", {}))
            for extra in _unexpected(error):
                hint = suggest.hint(str(extra), f"; allowed keys: {', '.join(suggest.choices)}")
                yield RULE.finding(
                    f"unknown key '{extra}' in {_describe(path)}{hint}",
                    Location(app.manifest_path, doc.region(path + (extra,), key=True)),
                    properties={"path": _describe(path + (extra,)), "suggestion": suggest.closest(str(extra))},
                )
            continue
        yield RULE.finding(f"{_describe(path)}: {_message(error)}",
                           Location(app.manifest_path, doc.region(path)),
                           properties={"path": _describe(path)})


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _with_variables(data):
    """The manifest as deployed: `${NAME}` in its values replaced by the default of `environment.variables`
    NAME (`key: ${SEQUENCE_MACRO_KEY}`), which `forge deploy` substitutes; an undeclared name stays."""
    environment = data.get("environment") if isinstance(data, dict) else None
    declared = environment.get("variables") if isinstance(environment, dict) else None
    defaults = {v["key"]: str(v["default"]) for v in declared if isinstance(v, dict) and "key" in v
                and "default" in v} if isinstance(declared, list) else {}
    if not defaults:
        return data

    def substituted(value):
        if isinstance(value, str):
            return _VARIABLE.sub(lambda m: defaults.get(m.group(1), m.group(0)), value)
        if isinstance(value, list):
            return [substituted(v) for v in value]
        if isinstance(value, dict):
            return {k: substituted(v) for k, v in value.items()}
        return value
    return substituted(data)


def _unexpected(error) -> list:
    allowed = set(error.schema.get("properties", {}))
    patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
    return [k for k in error.instance if k not in allowed and not any(p.search(str(k)) for p in patterns)]


def _message(error) -> str:
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "pattern" and title:
        return f"{error.instance!r} is not a valid {title}"
    return error.message


def _describe(path: tuple) -> str:
    if not path:
        return "the top level of manifest.yml"
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _egress_addresses(manifest):
    """Addresses `forge deploy` rejects, judged as the Forge CLI does (rules/egress.py)."""
    for entry in manifest.egress:
        problem = address_problem(entry.address)
        if problem:
            yield RULE.finding(f"egress address '{entry.address}' in permissions.external.{entry.kind} {problem}",
                               entry.location, properties={"address": entry.address, "kind": entry.kind})


def _duplicate_keys(manifest):
    seen: dict[str, tuple[str, Location]] = {}
    for module_type, key, location in manifest.module_keys:
        if key in seen:
            first_type, first = seen[key]
            yield RULE.finding(
                f"module key '{key}' is used twice (first by {first_type} on line {first.region.start_line}); "
                "module keys must be unique across all modules",
                location, related=[first.with_message("first use")], properties={"key": key})
        else:
            seen[key] = (module_type, location)


def _references(manifest):
    # One sorted list and one suggester per kind, not per reference: 20,000 references to 20,000
    # functions must not cost 20,000 sorts, fuzzy matches and listings of every function.
    suggesters = {kind: Suggester(sorted(getattr(manifest, attr))) for kind, attr in REFERENCE_TARGETS.items()}
    entry_suggesters: dict[str, Suggester] = {}  # per resource, made on its first unknown entry
    for ref in manifest.references:
        target, entry = ref.target, None
        if ref.target_kind == "resource" and "/" in target:
            target, _, entry = target.partition("/")
            if not target or not entry or "/" in entry:
                yield RULE.finding(f"resource '{ref.target}' is neither '<key>' nor '<key>/<entry>'", ref.location,
                                   properties={"reference": ref.target, "kind": "resource"})
                continue
        if target not in getattr(manifest, REFERENCE_TARGETS[ref.target_kind]):
            yield _undeclared(ref.target_kind, target, ref.location, suggesters[ref.target_kind])
        elif entry is not None:
            yield from _resource_entry(manifest.resources[target], target, entry, ref.location, entry_suggesters)
    for function in manifest.functions.values():
        if function.handler is not None and function.handler_file is None:
            module = function.handler.rsplit(".", 1)[0]
            yield RULE.finding(
                f"handler '{function.handler}' of function '{function.key}': no file src/{module}.(ts|tsx|js|jsx|mjs|cjs) "
                f"or src/{module}/index.* exists",
                function.location, properties={"function": function.key, "handler": function.handler})


def _undeclared(kind: str, target: str, location, suggest: Suggester):
    choices = suggest.choices
    listed = _listed(choices)
    hint = suggest.hint(target, f"; declared: {listed}" if choices else f"; no {kind} is declared")
    return RULE.finding(f"{kind} '{target}' is not declared{hint}", location,
                        properties={"reference": target, "kind": kind})


def _resource_entry(resource, key: str, entry: str, location, suggesters: dict[str, Suggester]):
    """``resource: key/entry`` names one entry point of a resource with an ``entry`` map."""
    if not resource.entries:
        yield RULE.finding(f"resource '{key}' has no 'entry' map, so '{key}/{entry}' names no entry point; "
                           f"declare 'entry: {{{entry}: <file>}}' on the resource or refer to '{key}'", location,
                           related=[resource.location.with_message(f"resource '{key}'")],
                           properties={"reference": f"{key}/{entry}", "kind": "resource"})
    elif entry not in resource.entries:
        if key not in suggesters:
            suggesters[key] = Suggester(sorted(resource.entries))
        suggest = suggesters[key]
        hint = suggest.hint(entry, f"; its entries: {_listed(suggest.choices)}")
        yield RULE.finding(f"resource '{key}' does not define entry '{entry}'{hint}", location,
                           related=[resource.location.with_message(f"resource '{key}'")],
                           properties={"reference": f"{key}/{entry}", "kind": "resource"})


def _listed(choices: list[str]) -> str:
    return ", ".join(choices[:MAX_LISTED]) + (f" and {len(choices) - MAX_LISTED} more"
                                              if len(choices) > MAX_LISTED else "")


RULE = Rule(
    id="manifest/invalid", name="InvalidManifest", level="error",
    summary="manifest.yml cannot be loaded, breaks the schema, or references nothing",
    doc=__doc__, cwe=(16,), precision="very-high",
    security_severity=3.0, check=check,
)
