"""Every rule of the pack, in report order."""

from __future__ import annotations

from rules import (
    auth_api_token,
    consent_scope_change,
    csp_unsafe_inline,
    egress_insecure_http,
    egress_undeclared,
    egress_wildcard,
    manifest_invalid,
    runtime_deprecated,
    scope_missing,
    scope_privileged,
    scope_unknown,
    scope_unused,
    secret_hardcoded,
    suppressions,
    tenant_global_state,
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
    suppressions.UNUSED,
    suppressions.INVALID,
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
