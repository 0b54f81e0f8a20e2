"""Every rule of the pack, in report order."""

from __future__ import annotations

from rules import (
    auth_api_token,
    authz_as_app_unchecked,
    code_eval,
    code_prototype_pollution,
    consent_scope_change,
    csp_unsafe_inline,
    egress_insecure_http,
    egress_undeclared,
    egress_wildcard,
    manifest_invalid,
    route_unsafe,
    runtime_deprecated,
    scope_missing,
    scope_privileged,
    scope_unknown,
    scope_unused,
    secret_hardcoded,
    storage_client_key,
    suppressions,
    tenant_global_state,
    webtrigger_unauthenticated,
)
from rules.base import Rule

ALL_RULES: tuple[Rule, ...] = (
    tenant_global_state.RULE,
    manifest_invalid.RULE,
    scope_unknown.RULE,
    scope_missing.RULE,
    scope_unused.RULE,
    scope_privileged.RULE,
    egress_wildcard.RULE,
    egress_insecure_http.RULE,
    egress_undeclared.RULE,
    csp_unsafe_inline.RULE,
    runtime_deprecated.RULE,
    consent_scope_change.RULE,
    secret_hardcoded.RULE,
    auth_api_token.RULE,
    authz_as_app_unchecked.RULE,
    webtrigger_unauthenticated.RULE,
    route_unsafe.RULE,
    storage_client_key.RULE,
    code_eval.RULE,
    code_prototype_pollution.RULE,
    suppressions.UNUSED,
    suppressions.INVALID,
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
