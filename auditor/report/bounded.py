"""Entry-point lists in reported finding properties, capped.

A finding of tenant/global-state lists the entries reaching its state; in an app of 1,000 service files
that was 2,077 entries per finding and a SARIF report over GitHub's upload limit. The Finding keeps the
full lists (replay plans its writer/reader pairs from them); a report shows the first MAX_LISTED of each
and, when it cut one, the full number as ``<name>Count``. A writer or reader list equal to ``entryPoints``
is not repeated (common: every entry reaching the state both writes and reads it). ``scan --verbose`` JSON shows
them whole.
"""

from __future__ import annotations

MAX_LISTED = 20
ENTRY_LISTS = ("entryPoints", "writerEntryPoints", "readerEntryPoints")
ENTRY_LISTS_BY_BUNDLE = ("sharedBy",)  # handler file -> its entries


def reported_properties(properties: dict, full: bool = False) -> dict:
    """``properties`` as a report shows them: entry lists cut to MAX_LISTED and not repeated unless ``full``."""
    if full:
        return properties
    out = dict(properties)
    for name in ENTRY_LISTS[1:]:
        if name in out and out[name] == out.get("entryPoints"):
            del out[name]
    for name in ENTRY_LISTS:
        items = out.get(name)
        if isinstance(items, list) and len(items) > MAX_LISTED:
            out[name], out[f"{name}Count"] = items[:MAX_LISTED], len(items)
    for name in ENTRY_LISTS_BY_BUNDLE:
        groups = out.get(name)
        if isinstance(groups, dict) and any(len(ids) > MAX_LISTED for ids in groups.values()):
            out[name] = {bundle: ids[:MAX_LISTED] for bundle, ids in groups.items()}
            out[f"{name}Count"] = {bundle: len(ids) for bundle, ids in groups.items()}
    return out
