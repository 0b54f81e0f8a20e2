"""What each part of an app needs in OAuth scopes, from code and manifest facts.

An operation accepts one or more alternative scope sets (its classic scopes,
its granular set, and for some APIs further sets); declaring every scope of any
one alternative satisfies it. Calls whose endpoint cannot be pinned down are
kept as ``Unresolved``: they never vanish, they lower the confidence of
unused-scope findings for the product they reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from auditor.facts import endpoints
from auditor.facts.api_calls import ApiCall
from auditor.facts.lost_routes import LostRoute
from auditor.model import Location
from rules import catalog


@dataclass(frozen=True)
class Requirement:
    """One operation's accepted scope sets, classic set first, then the granular set, then any others."""

    alternatives: tuple[frozenset[str], ...]
    # Inferred, not documented: it satisfies a need, but never alone makes scope/missing report one.
    unverified: bool = False
    # Documented to work with no scope too ("100% optional now"): declaring one of its sets is
    # recommended, so a declared one is used, and none declared is no missing scope.
    optional: bool = False

    def __post_init__(self) -> None:
        # Requirement(classic, granular), the former shape, would silently read as two wrong fields.
        if not isinstance(self.alternatives, tuple) or not isinstance(self.unverified, bool):
            raise TypeError("Requirement takes a tuple of scope sets; use Requirement.of(classic, granular, ...)")

    @classmethod
    def of(cls, *scope_sets: Iterable[str], unverified: bool = False, optional: bool = False) -> Requirement:
        """From scope sets in preference order; empty sets (no classic scope documented) are left out."""
        return cls(tuple(frozenset(s) for s in scope_sets if s), unverified, optional)

    def chosen(self, declared: set[str]) -> frozenset[str] | None:
        """The alternative the declared scopes satisfy (the first when several do), or None."""
        if not self.alternatives:
            return frozenset()
        found = next((a for a in self.alternatives if a <= declared), None)
        return frozenset() if found is None and self.optional else found

    def satisfied_by(self, declared: set[str]) -> bool:
        return self.chosen(declared) is not None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset().union(*self.alternatives)

    def describe(self) -> str:
        """Short form for messages: each alternative, a later multi-scope granular one as "the granular set"."""
        options = [describe_set(a, named=i > 0) for i, a in enumerate(self.alternatives)]
        return " or ".join(options) if options else "no scope"


def is_classic(scopes: frozenset[str]) -> bool:
    """Every scope of the set is a classic (or platform) scope: the set is no granular set."""
    known = catalog.scopes()
    return all(known.get(s, {}).get("kind") in ("classic", "platform") for s in scopes)


def describe_set(scopes: frozenset[str], named: bool = False) -> str:
    """One alternative for a message; ``named`` prefixes a multi-scope granular set with "the granular set"."""
    if is_classic(scopes):
        return ", ".join(sorted(scopes))
    # writes and deletes first: they are what distinguishes one operation's set from another's
    names = sorted(scopes, key=lambda n: (n.startswith(("read:", "readonly:")), n))
    shown = ", ".join(names[:3]) + (f", … ({len(names)} granular scopes)" if len(names) > 3 else "")
    return f"the granular set {shown}" if named and len(names) > 1 else shown


class ScopeNeed(NamedTuple):
    what: str                       # "GET /rest/api/3/issue/{issueIdOrKey}", "event avi:jira:created:issue"
    requirements: list[Requirement]  # satisfied when any one is (a call whose method is unknown fits several)
    location: Location
    kind: str                       # call | event | storage | remote | sdk

    def satisfied_by(self, declared: set[str]) -> bool:
        return any(r.satisfied_by(declared) for r in self.requirements)

    @property
    def verified(self) -> bool:
        """Some requirement rests on documentation: only then may an unsatisfied need be reported missing."""
        return any(not r.unverified for r in self.requirements)

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset().union(*(r.scopes for r in self.requirements))


class Bypass(NamedTuple):
    """A need that accepts a declared scope in an alternative it does not use."""

    need: ScopeNeed
    chosen: frozenset[str]  # what satisfies it instead (the chosen set of each operation the call may be)


@dataclass
class ScopeUse:
    """Which declared scopes the needs use, given what is declared."""

    used: set[str] = field(default_factory=set)
    bypassed: dict[str, list[Bypass]] = field(default_factory=dict)  # declared scope -> needs that do not use it


def scope_use(needs: list[ScopeNeed], declared: set[str]) -> ScopeUse:
    """Per operation, the alternative the declared scopes satisfy (classic first) is what it uses. An
    operation they do not satisfy uses all its scopes: scope/missing reports it (when no other operation the
    call may be satisfies it), and the declared part of a set shows intent."""
    use = ScopeUse()
    for need in needs:
        chosen = [(r, r.chosen(declared)) for r in need.requirements]
        satisfied = frozenset().union(*(c for _, c in chosen if c is not None))
        uses = satisfied.union(*(r.scopes for r, c in chosen if c is None),
                               *(r.scopes & declared for r in need.requirements if r.optional))
        use.used |= uses
        if any(c is not None for _, c in chosen):
            for scope in (need.scopes & declared) - uses:
                use.bypassed.setdefault(scope, []).append(Bypass(need, satisfied))
    return use


class Unresolved(NamedTuple):
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
        requirements=[Requirement.of(op.classic, op.granular, *(s for c, g in op.alternatives for s in (c, g)),
                                     unverified=not op.verified, optional=op.optional) for op in ops],
        location=call.location,
        kind="call",
    )


def lost_route_need(lost: LostRoute) -> Unresolved:
    """A route passed to a call forge-audit cannot follow: the request may need any scope of its product.
    The endpoint the path is, with the method unknown, when the catalog knows a single one."""
    segments, shown = endpoints.split_path(lost.parts)  # an absolute path: its product was read from it
    route = f"route`{shown}`" if lost.form == "route" else f"assumeTrustedRoute('{shown}')"
    reason = f"{route} is passed to {lost.sink}, which forge-audit cannot follow"
    ops = endpoints.match(lost.product, None, segments)
    templates = {op.template for op in ops}
    if len(templates) == 1:
        reason += f" (it may be {'|'.join(sorted({op.method for op in ops}))} {templates.pop()})"
    return Unresolved(lost.product, lost.location, reason)
