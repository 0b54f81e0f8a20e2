"""Egress address semantics, as documented for permissions.external."""

from __future__ import annotations

import pytest

from rules.egress import allows, wildcard_breadth


@pytest.mark.parametrize("address,url,ok", [
    ("api.example.com", "https://api.example.com/v1", True),
    ("https://api.example.com", "https://API.example.com:443/x", True),
    ("api.example.com", "https://example.com/", False),
    ("*.example.com", "https://a.b.example.com/x", True),
    ("*.example.com", "https://example.com/x", False),  # a wildcard does not cover its parent
    ("*.example.com", "https://evil-example.com/x", False),
    ("*", "https://anything.test/", True),
])
def test_allows_hosts(address: str, url: str, ok: bool) -> None:
    assert allows(address, url) is ok


def test_client_paths_follow_csp_source_matching() -> None:
    assert allows("https://h.io/public/", "https://h.io/public/a/b", match_path=True)
    assert not allows("https://h.io/public/", "https://h.io/private", match_path=True)
    assert allows("https://h.io/exact", "https://h.io/exact", match_path=True)
    assert not allows("https://h.io/exact", "https://h.io/exact/more", match_path=True)
    assert allows("https://h.io/public/", "https://h.io/private", match_path=False)


@pytest.mark.parametrize("address,broad", [
    ("*", True), ("*.com", True), ("*.co.uk", True), ("*.herokuapp.com", True),
    ("*.s3.eu-west-1.amazonaws.com", True), ("*.example.com", False), ("*.myapp.herokuapp.com", False),
    ("api.example.com", False),
])
def test_wildcard_breadth(address: str, broad: bool) -> None:
    assert (wildcard_breadth(address) is not None) is broad
