"""What each part of an app needs in OAuth scopes, from code and manifest facts.

A need is satisfied when the app declares every classic scope of one
alternative, or every granular scope of it. Calls whose endpoint cannot be
pinned down are kept as ``Unresolved``: they never vanish, they lower the
confidence of unused-scope findings for the product they reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.facts import endpoints
from auditor.facts.api_calls import ApiCall
from auditor.model import Location


@dataclass(frozen=True)
class Requirement:
    classic: frozenset[str]
    granular: frozenset[str]

    def satisfied_by(self, declared: set[str]) -> bool:
        if not self.classic and not self.granular:
            return True
        return bool(self.classic and self.classic <= declared) or bool(self.granular and self.granular <= declared)

    @property
    def scopes(self) -> frozenset[str]:
        return self.classic | self.granular

    def describe(self) -> str:
        """Short form for messages: the classic scopes, or the granular set (long sets abridged)."""
        options = []
        if self.classic:
            options.append(", ".join(sorted(self.classic)))
        if self.granular:
            # writes and deletes first: they are what distinguishes one operation's set from another's
            names = sorted(self.granular, key=lambda n: (n.startswith(("read:", "readonly:")), n))
            shown = ", ".join(names[:3]) + (f", … ({len(names)} granular scopes)" if len(names) > 3 else "")
            options.append(shown if not self.classic else f"the granular set {shown}")
        return " or ".join(options) if options else "no scope"


@dataclass
class ScopeNeed:
    what: str                       # "GET /rest/api/3/issue/{issueIdOrKey}", "event avi:jira:created:issue"
    requirements: list[Requirement]  # satisfied when any one is
    location: Location
    kind: str                       # call | event | storage | remote

    def satisfied_by(self, declared: set[str]) -> bool:
        return any(r.satisfied_by(declared) for r in self.requirements)

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset().union(*(r.scopes for r in self.requirements))


@dataclass
class Unresolved:
    product: str
    location: Location
    reason: str


MAX_SITE_CALLS = 200  # calls one request may become through the call sites of its wrappers


def call_needs(call: ApiCall, budget: list[int] | None = None) -> list[ScopeNeed | Unresolved]:
    """What the call needs. When its path or method comes from a parameter of the function around
    it and the call alone cannot be resolved, each call site of that function decides instead
    (wrappers of wrappers multiply: ``budget`` bounds the calls one request becomes)."""
    budget = [MAX_SITE_CALLS] if budget is None else budget
    need = _need(call)
    if call.call_sites is not None and budget[0] > 0 and (isinstance(need, Unresolved) or call.method is None):
        seen = call.call_sites()
        budget[0] -= len(seen)
        if seen:
            return [n for site in seen for n in call_needs(site, budget)]
    return [need]


def _need(call: ApiCall) -> ScopeNeed | Unresolved:
    function = call.function
    if call.request is not None:  # seen from a wrapper's call site: say where the request is
        function += f" in {call.wrapper} at {call.request.path.name}:{call.request.region.start_line}"
    split = endpoints.split_path(call.parts)
    if isinstance(split, str):
        return Unresolved(call.product, call.location, f"{function}: {split}")
    segments, display = split
    ops = endpoints.match(call.product, call.method, segments)
    method = call.method or "(method unknown)"
    if not ops:
        return Unresolved(call.product, call.location,
                          f"{function}: {method} {display} is not in the bundled endpoint catalog")
    templates = sorted({op.template for op in ops})
    if len(templates) > 1:
        return Unresolved(call.product, call.location,
                          f"{function}: {method} {display} fits {len(templates)} endpoints "
                          f"({', '.join(templates[:3])}{', …' if len(templates) > 3 else ''})")
    methods = "|".join(sorted({op.method for op in ops}))
    where = f" ({function})" if call.request is not None else ""
    return ScopeNeed(
        what=f"{methods} {templates[0]}{where}",
        requirements=[Requirement(op.classic, op.granular) for op in ops],
        location=call.location,
        kind="call",
    )
