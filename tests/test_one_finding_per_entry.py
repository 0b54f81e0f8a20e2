"""A manifest entry manifest/invalid reports gets no second finding; findings elsewhere are kept."""

from pathlib import Path

from auditor.engine import _one_finding_per_entry
from auditor.model import Finding, Location, Region

MANIFEST = Path("app/manifest.yml")


def finding(rule, region, path=MANIFEST):
    return Finding(rule, "error", rule, Location(path, region))


def test_a_finding_inside_the_reported_entry_is_dropped():
    invalid = finding("manifest/invalid", Region(17, 11, 17, 36))
    wildcard = finding("egress/wildcard", Region(17, 11, 17, 36))
    assert _one_finding_per_entry([invalid, wildcard]) == [invalid]


def test_an_entry_reported_at_its_item_covers_a_value_on_the_first_line():
    item = finding("manifest/invalid", Region(18, 11, 19, 30))     # "- address: ...\n  category: ..."
    address = finding("egress/wildcard", Region(18, 20, 18, 45))
    assert _one_finding_per_entry([item, address]) == [item]


def test_other_lines_files_and_neighbours_are_kept():
    invalid = finding("manifest/invalid", Region(17, 11, 18, 20))
    kept = [
        finding("egress/wildcard", Region(18, 11, 18, 20)),           # a later line of the node
        finding("egress/wildcard", Region(17, 11), Path("other/manifest.yml")),
        finding("scope/missing", Region(17, 11), Path("app/src/index.ts")),
        finding("egress/wildcard", Region(17, 5, 17, 9)),             # before the node on its line
        finding("scope/unused", None),
    ]
    assert _one_finding_per_entry([invalid, *kept]) == [invalid, *kept]
