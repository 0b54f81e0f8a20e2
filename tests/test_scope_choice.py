"""Which declared scopes a need uses: one alternative per operation, the classic set first."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from auditor.config import Config
from auditor.engine import scan
from auditor.facts.scope_needs import Requirement, ScopeNeed, scope_use
from auditor.model import Location
from rules import scope_missing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HERE = Location(Path("src/index.ts"))
# The shape of a DevOps builds operation: three single-scope alternatives.
BUILDS = Requirement.of({"write:build-info:jira"}, {"write:build:jira-software"}, {"manage:jira-data-provider"})
ISSUE = Requirement.of({"read:jira-work"}, {"read:issue:jira", "read:user:jira"})


def need(*requirements, what="GET /x"):
    return ScopeNeed(what, list(requirements), HERE, "call")


def test_empty_sets_are_left_out_and_an_operation_without_scopes_is_satisfied():
    assert Requirement.of(set(), {"read:page:confluence"}).alternatives == (frozenset({"read:page:confluence"}),)
    assert Requirement.of(set(), set()).chosen(set()) == frozenset()


def test_classic_first_when_both_are_declared_granular_when_only_it_is():
    both = {"read:jira-work", "read:issue:jira", "read:user:jira"}
    assert ISSUE.chosen(both) == {"read:jira-work"}
    assert ISSUE.chosen({"read:issue:jira", "read:user:jira"}) == {"read:issue:jira", "read:user:jira"}
    assert ISSUE.chosen({"read:issue:jira"}) is None


def test_granular_scopes_beside_a_satisfying_classic_scope_are_bypassed_not_used():
    use = scope_use([need(ISSUE)], {"read:jira-work", "read:issue:jira", "read:user:jira"})
    assert use.used == {"read:jira-work"}
    assert set(use.bypassed) == {"read:issue:jira", "read:user:jira"}
    assert use.bypassed["read:issue:jira"][0].chosen == {"read:jira-work"}


def test_an_unsatisfied_need_uses_all_its_scopes():
    use = scope_use([need(ISSUE)], {"read:issue:jira"})
    assert use.used == {"read:jira-work", "read:issue:jira", "read:user:jira"} and not use.bypassed


def test_more_than_two_alternatives():
    declared = {"write:build-info:jira", "manage:jira-data-provider"}
    use = scope_use([need(BUILDS)], declared)
    assert use.used == {"write:build-info:jira"}
    assert set(use.bypassed) == {"manage:jira-data-provider"}
    assert scope_use([need(BUILDS)], {"manage:jira-data-provider"}).used == {"manage:jira-data-provider"}


def test_a_call_fitting_several_operations_uses_each_satisfied_one():
    put = Requirement.of({"write:jira-work"}, {"write:issue:jira"})
    use = scope_use([need(ISSUE, put)], {"read:jira-work", "write:jira-work"})
    assert use.used == {"read:jira-work", "write:jira-work"}


def test_an_unsatisfied_operation_of_a_satisfied_call_keeps_its_declared_scopes():
    # Method unknown: the call is GET (satisfied by read:jira-work) or DELETE, whose granular set is partly declared.
    delete = Requirement.of({"write:jira-work"}, {"delete:issue:jira", "write:issue:jira"})
    use = scope_use([need(ISSUE, delete)], {"read:jira-work", "delete:issue:jira", "read:issue:jira"})
    assert "delete:issue:jira" in use.used and "delete:issue:jira" not in use.bypassed
    assert set(use.bypassed) == {"read:issue:jira"}


def test_an_unverified_operation_alone_never_raises_scope_missing():
    facts = SimpleNamespace(manifest=SimpleNamespace(scopes_location=None), declared_scopes=set(), needs=[
        need(Requirement.of({"read:build-info:jira"}, {"manage:jira-data-provider"}, unverified=True)),
        need(Requirement.of({"read:build-info:jira"}, unverified=True), ISSUE, what="GET /y"),
    ])
    found = list(scope_missing.check(facts))
    assert [f.properties["needs"] for f in found] == ["GET /y"]
    assert found[0].properties["missingScopes"] == ["read:jira-work"]


def test_scope_missing_names_the_rest_of_a_partly_declared_granular_set():
    app = FIXTURES / "scopes" / "granular-only"
    [finding] = [f for f in scan([app], Config(), app).findings if f.rule_id == "scope/missing"]
    assert finding.message.endswith("does not declare read:comment.property:jira, read:group:jira, "
                                    "read:project-role:jira, read:project:jira")


def test_the_former_two_set_constructor_fails_loudly():
    with pytest.raises(TypeError):
        Requirement(frozenset({"read:jira-work"}), frozenset({"read:issue:jira"}))
