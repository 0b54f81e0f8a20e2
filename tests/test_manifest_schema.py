"""Tests for rules/data/manifest.schema.json, the project's JSON Schema for Forge manifest.yml files."""

import copy
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from rules.manifest_invalid import _conforms

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "rules" / "data" / "manifest.schema.json"

APP_ID = "ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a"


@pytest.fixture(scope="module")
def schema():
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


class _CheckedValidator:
    """jsonschema's validator, also checking on every manifest validated that the generated validator
    (rules/data/manifest_validator.py, which spares a scan jsonschema when a manifest conforms) agrees."""

    def __init__(self, schema):
        self._jsonschema = Draft202012Validator(schema)

    def iter_errors(self, manifest):
        errors = list(self._jsonschema.iter_errors(manifest))
        assert _conforms(manifest) == (not errors), f"generated validator disagrees: {errors[:1]}"
        return iter(errors)


@pytest.fixture(scope="module")
def validator(schema):
    return _CheckedValidator(schema)


def load(text):
    return yaml.safe_load(text)


def error_paths(validator, manifest):
    """(path, keyword) of every error, including those nested in if/then/allOf contexts."""
    found = []

    def walk(errors):
        for err in errors:
            found.append((list(err.absolute_path), err.validator))
            walk(err.context or [])

    walk(validator.iter_errors(manifest))
    return found


def assert_invalid_at(validator, manifest, path, keyword):
    errors = error_paths(validator, manifest)
    assert errors, "manifest unexpectedly passed the schema"
    assert (path, keyword) in errors, f"expected {keyword!r} error at {path}, got {errors}"
    # The single most relevant error reported to users should point at the same place.
    top = best_match(validator.iter_errors(manifest))
    assert list(top.absolute_path) == path, f"best_match points at {list(top.absolute_path)}: {top.message}"


# --------------------------------------------------------------------------- valid manifests

UI_KIT_ISSUE_PANEL = f"""
modules:
  jira:issuePanel:
    - key: hello-world-issue-panel
      resource: main
      resolver:
        function: resolver
      render: native
      title: Hello World!
      icon: https://developer.atlassian.com/platform/forge/images/icons/issue-panel-icon.svg
  function:
    - key: resolver
      handler: index.handler
resources:
  - key: main
    path: src/frontend/index.jsx
permissions:
  scopes:
    - read:jira-work
    - write:jira-work
app:
  runtime:
    name: nodejs22.x
  id: {APP_ID}
"""

TRIGGER_APP = f"""
app:
  id: "{APP_ID}"
  runtime:
    name: nodejs24.x
    architecture: arm64
    memoryMB: 256
  licensing:
    enabled: true
modules:
  trigger:
    - key: issue-updated-trigger
      function: main
      events:
        - avi:jira:updated:issue
        - avi:jira:created:issue
      filter:
        ignoreSelf: true
        expression: event.issue.fields?.issueType.name == 'Bug'
        onError: RECEIVE_AND_LOG
    - key: remote-lifecycle
      endpoint: remote-lifecycle-endpoint
      events:
        - avi:forge:installed:app
  scheduledTrigger:
    - key: nightly-sync
      function: sync
      interval: day
      filter:
        appIsLicensed: true
  consumer:
    - key: queue-consumer
      queue: work-queue
      function: worker
  endpoint:
    - key: remote-lifecycle-endpoint
      remote: backend
      route:
        path: /forge/lifecycle
      auth:
        appSystemToken:
          enabled: true
  function:
    - key: main
      handler: triggers/issue.onUpdate
    - key: sync
      handler: index.sync
      timeoutSeconds: 300
    - key: worker
      handler: queue/worker.handler
      timeoutSeconds: 900
      memoryMB: 1024
remotes:
  - key: backend
    baseUrl:
      default: https://backend.example.com
      EU: https://eu.backend.example.com
    operations:
      - compute
      - storage
    storage:
      inScopeEUD: false
    auth:
      appSystemToken:
        enabled: true
permissions:
  scopes:
    read:jira-work:
      allowImpersonation: true
    write:jira-work: {{}}
    read:app-system-token: {{}}
    storage:app: {{}}
"""

WEBTRIGGER_APP = f"""
app:
  id: {APP_ID.upper().replace("ARI:CLOUD:ECOSYSTEM::APP/", "ari:cloud:ecosystem::app/")}
  runtime:
    name: nodejs20.x
modules:
  webtrigger:
    - key: no-egress-web-trigger
      function: static-fn
      response:
        type: static
        outputs:
          - key: status-ok
            statusCode: 200
            contentType: application/json
            body: '{{"ok": true}}'
          - key: status-error
            statusCode: 403
    - key: dynamic-web-trigger
      function: dynamic-fn
      response:
        type: dynamic
    - key: plain-web-trigger
      function: dynamic-fn
  function:
    - key: static-fn
      handler: webtrigger.noEgress
    - key: dynamic-fn
      handler: webtrigger.egress
permissions:
  scopes: []
"""

CUSTOM_UI_APP = """
app:
  id: ari:cloud:ecosystem::app/${APP_ID}
  runtime:
    name: nodejs22.x
  compatibility:
    confluence:
      required: true
    jira:
      required: false
  package:
    extraFiles:
      - data/*.json
environment:
  variables:
    - APP_ID
    - key: API_HOST
      default: api.example.com
modules:
  confluence:globalPage:
    - key: my-page
      resource: main
      route: my-page
      resolver:
        endpoint: remote-resolver
      title:
        i18n: page.title
  macro:
    - key: my-macro
      resource: main
      resolver:
        function: resolver
      title: My macro
      viewportSize: large
  endpoint:
    - key: remote-resolver
      remote: api-backend
      auth:
        appUserToken:
          enabled: true
  function:
    - key: resolver
      handler: resolvers/index.handler
resources:
  - key: main
    path: static/hello-world/build
    tunnel:
      port: 3000
remotes:
  - key: api-backend
    baseUrl: https://api.example.com
    operations:
      - fetch
      - compute
permissions:
  scopes:
    - read:confluence-content.summary
    - read:app-user-token
  content:
    scripts:
      - unsafe-hashes
      - sha256-AbCdEf0123456789+/AbCdEf0123456789AbCdEf01234=
    styles:
      - unsafe-inline
  external:
    fetch:
      backend:
        - https://api.example.com
        - "*.example-dev.com"
        - remote: api-backend
      client:
        - address: "*.analytics.example.com"
          category: analytics
          inScopeEUD: false
        - "*"
    images:
      - address: https://www.example-dev.com/image.png
      - https://images.example.com
    media:
      - https://www.example-dev.com/video.mp4
    scripts:
      - https://cdn.example.com/lib.js
    styles:
      - https://www.example-dev.com/stylesheet.css
    fonts:
      - https://www.example-dev.com/fonts.css
    frames:
      - https://www.example-dev.com/embed/page
translations:
  resources:
    - key: en-US
      path: locales/en-US.json
    - key: de-DE
      path: locales/de-DE.json
  fallback:
    default: en-US
    de-AT:
      - de-DE
"""

VALID = {
    "ui-kit-issue-panel": UI_KIT_ISSUE_PANEL,
    "trigger-app": TRIGGER_APP,
    "webtrigger-app": WEBTRIGGER_APP,
    "custom-ui-app": CUSTOM_UI_APP,
}


def test_schema_is_valid_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_subschema_is_documented(schema):
    """Each named definition carries a title or description so error output stays readable."""
    missing = [name for name, sub in schema["$defs"].items() if not (sub.get("title") or sub.get("description"))]
    assert missing == []


def test_top_level_keys_are_closed(schema):
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["app"]
    assert set(schema["properties"]) == {
        "app", "modules", "permissions", "resources", "remotes", "providers",
        "environment", "translations", "services", "connectModules", "overrides",
    }


@pytest.mark.parametrize("name", sorted(VALID))
def test_realistic_manifests_pass(validator, name):
    manifest = load(VALID[name])
    errors = error_paths(validator, manifest)
    assert errors == [], f"{name}: {[e.message for e in validator.iter_errors(manifest)]}"


def test_webtrigger_fixture_uses_upper_case_uuid():
    app_id = load(WEBTRIGGER_APP)["app"]["id"]
    assert app_id.startswith("ari:cloud:ecosystem::app/")
    assert app_id.split("/")[1] == app_id.split("/")[1].upper()


@pytest.mark.parametrize("runtime", ["nodejs24.x", "nodejs22.x", "nodejs20.x", "nodejs18.x", "sandbox"])
def test_current_and_deprecated_runtimes_are_accepted(validator, runtime):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["app"]["runtime"]["name"] = runtime
    assert error_paths(validator, manifest) == []


def test_minimal_manifest_needs_only_app(validator):
    assert error_paths(validator, {"app": {"id": APP_ID}}) == []


@pytest.mark.parametrize("handler", ["index.run", "resolvers/index.handler", "src/a-b_c.v2.main", "index.$handler"])
def test_handler_forms_accepted(validator, handler):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["function"][0]["handler"] = handler
    assert error_paths(validator, manifest) == []


# --------------------------------------------------------------------------- invalid manifests


def test_misspelled_top_level_key_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL.replace("permissions:", "permisions:"))
    assert_invalid_at(validator, manifest, [], "additionalProperties")
    top = best_match(validator.iter_errors(manifest))
    assert "permisions" in top.message


def test_missing_app_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    del manifest["app"]
    assert_invalid_at(validator, manifest, [], "required")


@pytest.mark.parametrize(
    "bad_id",
    [
        "ari:cloud:ecosystem::app/not-a-uuid",
        "406d303d-0393-4ec4-ad7c-1435be94583a",
        "ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583",
        "ari:cloud:jira::app/406d303d-0393-4ec4-ad7c-1435be94583a",
    ],
)
def test_bad_app_id_fails(validator, bad_id):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["app"]["id"] = bad_id
    assert_invalid_at(validator, manifest, ["app", "id"], "pattern")


def test_unknown_runtime_name_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL.replace("nodejs22.x", "nodejs16.x"))
    assert_invalid_at(validator, manifest, ["app", "runtime", "name"], "enum")


def test_runtime_memory_out_of_range_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["app"]["runtime"]["memoryMB"] = 2048
    assert_invalid_at(validator, manifest, ["app", "runtime", "memoryMB"], "maximum")


def test_function_without_handler_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL.replace("      handler: index.handler\n", ""))
    assert "handler" not in manifest["modules"]["function"][0]
    assert_invalid_at(validator, manifest, ["modules", "function", 0], "required")


@pytest.mark.parametrize("handler", ["index", "resolvers/index", "index.", "../index.run", "index.run()"])
def test_handler_without_export_part_fails(validator, handler):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["function"][0]["handler"] = handler
    assert_invalid_at(validator, manifest, ["modules", "function", 0, "handler"], "pattern")


def test_function_key_longer_than_23_chars_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["function"][0]["key"] = "a-very-long-function-key-name"
    assert_invalid_at(validator, manifest, ["modules", "function", 0, "key"], "maxLength")


def test_module_key_with_bad_characters_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["jira:issuePanel"][0]["key"] = "hello world"
    assert_invalid_at(validator, manifest, ["modules", "jira:issuePanel", 0, "key"], "pattern")


def test_scheduled_trigger_bad_interval_fails(validator):
    manifest = load(TRIGGER_APP.replace("interval: day", "interval: daily"))
    assert_invalid_at(validator, manifest, ["modules", "scheduledTrigger", 0, "interval"], "enum")


def test_trigger_without_function_or_endpoint_fails(validator):
    manifest = load(TRIGGER_APP)
    del manifest["modules"]["trigger"][0]["function"]
    assert_invalid_at(validator, manifest, ["modules", "trigger", 0], "required")


def test_static_webtrigger_without_outputs_fails(validator):
    manifest = load(WEBTRIGGER_APP)
    del manifest["modules"]["webtrigger"][0]["response"]["outputs"]
    assert_invalid_at(validator, manifest, ["modules", "webtrigger", 0, "response"], "required")


@pytest.mark.parametrize("bad_item", [42, ["read:jira-work"], {"key": "read:jira-work", "allowImpersonation": True}])
def test_scope_item_of_wrong_type_fails(validator, bad_item):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["permissions"]["scopes"].append(bad_item)
    assert_invalid_at(validator, manifest, ["permissions", "scopes", 2], "type")


def test_scope_map_with_non_boolean_impersonation_fails(validator):
    manifest = load(TRIGGER_APP.replace("allowImpersonation: true", "allowImpersonation: yes-please"))
    assert_invalid_at(
        validator, manifest, ["permissions", "scopes", "read:jira-work", "allowImpersonation"], "type"
    )


def test_unknown_permissions_key_fails(validator):
    manifest = load(CUSTOM_UI_APP)
    manifest["permissions"]["egress"] = ["https://api.example.com"]
    assert_invalid_at(validator, manifest, ["permissions"], "additionalProperties")


def test_egress_addresses_are_left_to_the_cli_check(validator):
    # The Forge CLI checks the host of the parsed URL (rules/egress.py address_problem), not the string.
    manifest = load(CUSTOM_UI_APP)
    manifest["permissions"]["external"]["fetch"]["backend"][0] = "https://api.example.com/path?x=1"
    manifest["permissions"]["external"]["fetch"]["client"] = ["https://*.example.com"]
    assert error_paths(validator, manifest) == []


def test_egress_address_longer_than_1000_characters_fails(validator):
    manifest = load(CUSTOM_UI_APP)
    manifest["permissions"]["external"]["fetch"]["backend"][0] = "a" * 995 + ".example"
    assert_invalid_at(validator, manifest, ["permissions", "external", "fetch", "backend", 0], "maxLength")


def test_remote_reference_only_allowed_alone_in_fetch(validator):
    manifest = load(CUSTOM_UI_APP)
    entry = manifest["permissions"]["external"]["fetch"]["backend"][2]
    entry["address"] = "https://api.example.com"
    assert_invalid_at(validator, manifest, ["permissions", "external", "fetch", "backend", 2], "maxProperties")


def test_remote_with_storage_operation_needs_storage_declaration(validator):
    manifest = load(TRIGGER_APP)
    del manifest["remotes"][0]["storage"]
    assert_invalid_at(validator, manifest, ["remotes", 0], "required")


def test_resource_without_path_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    del manifest["resources"][0]["path"]
    assert_invalid_at(validator, manifest, ["resources", 0], "required")


def test_bad_module_type_name_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["jira:issue-panel"] = copy.deepcopy(manifest["modules"]["jira:issuePanel"])
    # jsonschema reports a failed propertyNames check with the inner keyword, at the parent object.
    assert_invalid_at(validator, manifest, ["modules"], "pattern")
    assert "jira:issue-panel" in best_match(validator.iter_errors(manifest)).message


# --------------------------------------------------------------------------- forms of @forge/manifest 13.7.0
# Keys the published schema (npm @forge/manifest 13.7.0, out/schema/manifest-schema.json) accepts in sections
# this schema keeps closed.

MULTI_ENTRY_RESOURCE = {"key": "main", "path": "static/build", "entry": {"panel": "panel.html", "admin": "admin.html"}}


def test_resource_with_an_entry_map_passes(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["resources"].append(copy.deepcopy(MULTI_ENTRY_RESOURCE) | {"key": "pages"})
    manifest["resources"][0]["bundler"] = "manual@2026"
    assert error_paths(validator, manifest) == []


@pytest.mark.parametrize("entry", [{}, {"panel": "build/panel.html"}, {"panel": "../panel.html"},
                                   {"panel view": "panel.html"}])
def test_malformed_entry_map_fails(validator, entry):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["resources"][0]["entry"] = entry
    assert any(path[:3] == ["resources", 0, "entry"] for path, _ in error_paths(validator, manifest))


def test_unknown_resource_key_fails(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["resources"][0]["entries"] = {"panel": "panel.html"}
    assert_invalid_at(validator, manifest, ["resources", 0], "additionalProperties")


def test_permissions_enforcement_sandbox_navigation_and_configurable_pass(validator):
    manifest = load(CUSTOM_UI_APP)
    manifest["permissions"]["enforcement"] = "app-managed"
    manifest["permissions"]["sandbox"] = ["allow-storage-access-by-user-activation"]
    manifest["permissions"]["external"]["navigation"] = ["https://status.example.com", {"address": "*.example.com"}]
    manifest["permissions"]["external"]["configurable"] = {"enabled": True}
    assert error_paths(validator, manifest) == []


def test_unknown_sandbox_token_fails(validator):
    manifest = load(CUSTOM_UI_APP)
    manifest["permissions"]["sandbox"] = ["allow-top-navigation"]
    assert_invalid_at(validator, manifest, ["permissions", "sandbox", 0], "enum")


def test_trigger_event_with_its_own_filter_passes(validator):
    manifest = load(TRIGGER_APP)
    events = manifest["modules"]["trigger"][0]["events"]
    events.append({"eventType": "avi:jira:updated:issue", "filter": {"ignoreSelf": True}})
    assert error_paths(validator, manifest) == []
    events[-1]["filter"] = {"ignoreSelf": "yes"}
    assert error_paths(validator, manifest)


def test_webtrigger_invoking_an_endpoint_passes_and_one_invoking_nothing_fails(validator):
    manifest = load(WEBTRIGGER_APP)
    hook = manifest["modules"]["webtrigger"][0]
    del hook["function"]
    assert_invalid_at(validator, manifest, ["modules", "webtrigger", 0], "required")
    hook["endpoint"] = "remote-hook"
    assert not [p for p, _ in error_paths(validator, manifest) if p[:3] == ["modules", "webtrigger", 0]]


def test_render_default_and_auth_provider_objects_pass(validator):
    manifest = load(UI_KIT_ISSUE_PANEL)
    manifest["modules"]["jira:issuePanel"][0]["render"] = "default"
    manifest["modules"]["function"][0]["providers"] = {
        "auth": ["google", {"provider": "github", "requiredScopes": ["repo"], "requestAllScopes": False}]}
    assert error_paths(validator, manifest) == []
    manifest["modules"]["function"][0]["providers"]["auth"][1] = {"requiredScopes": ["repo"]}
    assert error_paths(validator, manifest)
