"""Egress address semantics, as documented for permissions.external."""

from __future__ import annotations

import pytest

from rules.egress import address_problem, allows, wildcard_breadth


@pytest.mark.parametrize("address,url,ok", [
    ("api.example.com", "https://api.example.com/v1", True),
    ("https://api.example.com", "https://API.example.com:443/x", True),
    ("api.example.com", "https://example.com/", False),
    ("*.example.com", "https://a.b.example.com/x", True),
    ("*.example.com", "https://example.com/x", False),  # a wildcard does not cover its parent
    ("*.example.com", "https://evil-example.com/x", False),
    ("*", "https://anything.test/", True),
    ("https://*.example.com", "https://a.example.com/x", True),  # the CLI reads the wildcard after a scheme
    ("https://*.example.com", "https://evilexample.com/x", False),
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
    ("api.example.com", False), ("https://*.herokuapp.com", True), ("api.*.example.com", True),
    ("https://oidc.example.com/org/*/.well-known/jwks.json", False),  # '*' in the path: no wider host
])
def test_wildcard_breadth(address: str, broad: bool) -> None:
    assert (wildcard_breadth(address) is not None) is broad


# What the Forge CLI (npm @forge/manifest 13.7.0, PermissionsValidator.isValidURL) accepts; the expected
# answers were checked against that function run under Node.
@pytest.mark.parametrize("address", [
    "*", "api.example.com", "*.example.com", "https://*.herokuapp.com", "https://api.example.com/path?x=1",
    "*.ngrok-free.app/hooks/*", "https://api.example.com:8443/x", "wss://live.example.com",
    "ws://live.example.com",  # read as an app-link scheme, like slack://open
    "slack://open", "https://bücher.example",
])
def test_addresses_forge_accepts(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize("address,why", [
    ("http://api.example.com", "uses http://"),
    ("http://*.ngrok.io", "uses http://"),
    ("*herokuapp.com", "has the host '*herokuapp.com'"),
    ("localhost", "is not a domain or URL"),
    ("api.example .com", "is not a domain or URL"),
    ("javascript:alert(1)", "is not a domain or URL"),
    ("a" * 995 + ".example", "is longer than 1,000 characters"),
])
def test_addresses_forge_rejects(address: str, why: str) -> None:
    assert why in (address_problem(address) or "")
