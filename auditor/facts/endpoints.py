"""Match a call's resolved path against the bundled endpoint catalog.

Matching is anchored and segment by segment (``/rest/api/3/issue/{id}``
matches ``/rest/api/3/issue/PROJ-1`` but not ``/x/rest/api/3/issue/1``),
unlike `forge lint`'s suffix matching. A ``${...}`` hole in the call matches a
path parameter, or a literal segment when nothing more specific fits; when
several templates fit, the most literal ones win, as in an HTTP router.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from auditor.facts.bindings import HOLE
from rules import catalog

_PARAM = re.compile(r"\{[^/{}]+\}")
_QUERY = re.compile(r"[?#]")  # compiled once: a bundle's name lookups evict `re`'s own cache


class Operation(NamedTuple):
    method: str
    template: str
    classic: frozenset[str]
    granular: frozenset[str]
    # further (classic, granular) pairs that satisfy it, e.g. a DevOps call's *:jira-software scope
    alternatives: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    verified: bool = True  # False: scopes inferred by the catalog's source, never alone evidence of a missing scope
    optional: bool = False  # True: it also works with no scope (its scopes are recommended, not required)


class _Template(NamedTuple):  # a tuple: ~1,400 are made for a Jira app's first call
    product: str
    row: int  # the catalog row's index: method, path, classic, granular[, options]
    method: str
    segments: tuple[str, ...]  # a segment with a {parameter} is matched by its _segment_regex


@functools.cache
def _index(product: str) -> dict[int, list[_Template]]:
    by_length: dict[int, list[_Template]] = {}
    for i, (method, path, *_) in enumerate(catalog.endpoints().get(product, [])):
        segments = tuple(path.strip("/").split("/"))
        by_length.setdefault(len(segments), []).append(_Template(product, i, method, segments))
    return by_length


@functools.cache  # built for the rows a call matches: building all ~1,900 up front was a tenth of a small scan
def _operation(product: str, row: int) -> Operation:
    method, path, classic, granular, *extra = catalog.endpoints()[product][row]
    options = extra[0] if extra else {}
    return Operation(method, path, frozenset(classic), frozenset(granular),
                     tuple((frozenset(c), frozenset(g)) for c, g in options.get("alternatives", ())),
                     not options.get("unverified", False), options.get("optional", False))


@functools.cache  # compiled on first use: compiling the catalog's thousand up front was a tenth of a small scan
def _segment_regex(segment: str) -> re.Pattern:
    out, pos = [], 0
    for m in _PARAM.finditer(segment):
        out.append(re.escape(segment[pos:m.start()]))
        out.append("[^/]+")
        pos = m.end()
    out.append(re.escape(segment[pos:]))
    return re.compile("".join(out))


# Stand-in for a hole inside a path string; cannot occur in a real path.
_HOLE_CHAR = "\x00"


def split_path(parts: list) -> tuple[list[str], str] | str:
    """Path segments (holes as \\x00) and a display form, or the reason it is dynamic."""
    raw = "".join(_HOLE_CHAR if p is HOLE else p for p in parts)
    if not raw or raw[0] == _HOLE_CHAR:
        return "the path is built at run time"
    if not raw.startswith("/"):
        return f"'{_display(raw)[:60]}' is not an absolute API path"
    path = _QUERY.split(raw, maxsplit=1)[0].rstrip("/")
    return path.strip("/").split("/"), _display(path)


def _display(raw: str) -> str:
    return raw.replace(_HOLE_CHAR, "{…}")


def _score(call_seg: str, template_seg: str) -> int:
    """How well one call segment fits one template segment (0 = not at all)."""
    if not call_seg:
        return 0
    param = "{" in template_seg  # a {parameter} segment: matched by its _segment_regex
    if _HOLE_CHAR not in call_seg:
        if not param:
            return 4 if call_seg == template_seg else 0
        return 3 if _segment_regex(template_seg).fullmatch(call_seg) else 0
    if param:
        return 2
    call_pattern = "".join(".+" if piece == _HOLE_CHAR else re.escape(piece)
                           for piece in re.split(f"({_HOLE_CHAR})", call_seg) if piece)
    return 1 if re.fullmatch(call_pattern, template_seg) else 0


def match(product: str, method: str | None, segments: list[str]) -> list[Operation]:
    """Best-fitting operations for a call (any method when ``method`` is None)."""
    return _match(product, method, tuple(segments))


@functools.lru_cache(maxsize=4096)  # bundles repeat the same call shapes thousands of times
def _match(product: str, method: str | None, segments: tuple[str, ...]) -> list[Operation]:
    best: list[_Template] = []
    best_score = 0
    for template in _index(product).get(len(segments), []):
        if method is not None and template.method != method:
            continue
        total = 0
        for call_seg, t_seg in zip(segments, template.segments):
            score = _score(call_seg, t_seg)
            if score == 0:
                break
            total += score
        else:
            if total > best_score:
                best, best_score = [template], total
            elif total == best_score:
                best.append(template)
    return [_operation(template.product, template.row) for template in best]
