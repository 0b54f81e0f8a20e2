"""Reading `permissions.external` addresses: validity, hosts, schemes and wildcard breadth.

Shared by the egress rules and manifest/invalid. The documented formats (Forge
permissions reference) are a URL, a domain, `*.domain`, or `*`; which strings
`forge deploy` accepts follows the Forge CLI's own check (npm `@forge/manifest`
13.7.0, `PermissionsValidator.isValidURL`): it looks at the host of the parsed
URL, so a scheme before a wildcard (`https://*.example.com`) and paths with
query strings are accepted, and `http://` is not.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Public suffixes under which anyone can register a domain, and shared hosting
# zones where anyone can get a subdomain: a wildcard over one of these admits
# hosts the app's author does not control.
MULTI_LABEL_SUFFIXES = {
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "co.in", "com.br",
    "com.cn", "com.mx", "co.za", "com.sg", "com.tr",
}
# Under amazonaws.com anyone can own names at any depth (S3 buckets in every
# region, API Gateway ids, load balancers), so any wildcard there is too broad.
SHARED_AT_ANY_DEPTH = {"amazonaws.com"}
SHARED_HOSTING = {
    "cloudfront.net", "herokuapp.com", "azurewebsites.net", "cloudapp.net", "appspot.com",
    "firebaseapp.com", "web.app", "github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev",
    "workers.dev", "ngrok.io", "ngrok-free.app", "glitch.me", "repl.co", "onrender.com", "fly.dev",
    "blob.core.windows.net", "storage.googleapis.com", "run.app", "trycloudflare.com", "loca.lt",
    "atlassian.net",  # anyone can create a free Atlassian site: a channel out to a site of one's own
}
# Reserved for loopback (RFC 6761): names under it never leave the machine, so no wildcard there is broad.
LOOPBACK_ZONES = {"localhost"}


MAX_ADDRESS = 1000
# The CLI's pattern for the host of a parsed address.
_CLI_HOST = re.compile(r"^(\*\.)?[.a-zA-Z0-9_\-/:~#%?=&]+$")
# `name:` at the start reads as an app link (navigation to `slack:`); accepted unless blocked or http(s)/wss.
_APP_LINK = re.compile(r"^[a-zA-Z]+:")
_BLOCKED_SCHEMES = ("javascript:", "data:", "vbscript:", "view-source:", "resource:", "about:", "chrome:",
                    "livescript:", "mocha:", "file:", "mhtml:", "smb:", "http")
_ACCEPTED_SCHEMES = ("https", "wss")


def address_problem(address: str) -> str | None:
    """Why Forge rejects an address of ``permissions.external``, or None when it accepts it."""
    if len(address) > MAX_ADDRESS:
        return f"is longer than {MAX_ADDRESS:,} characters"
    if address == "*":
        return None
    if _APP_LINK.match(address) and not address.startswith(_BLOCKED_SCHEMES + ("https:", "wss:")):
        return None
    if "." not in address or " " in address:
        return "is not a domain or URL"
    try:
        parts = urlsplit(address if "://" in address else "https://" + address)
        host = parts.hostname or ""
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in _ACCEPTED_SCHEMES:
        fix = "; use https://" if parts.scheme == "http" else ""
        return f"uses {parts.scheme}://, and Forge accepts only https:// and wss:// addresses{fix}"
    if not _CLI_HOST.match(_ascii_host(host)):
        return f"has the host '{host}', which is not a domain ('*.' may only start it)"
    return None


def _ascii_host(host: str) -> str:
    """An internationalised domain as the URL parser gives it (punycode), '' when it cannot be encoded."""
    if host.isascii():
        return host
    try:
        return ".".join(label if label == "*" else label.encode("idna").decode("ascii") for label in host.split("."))
    except UnicodeError:
        return ""


def host_of(address: str) -> str:
    """Host part of a manifest address or a URL (lower-case, no port, no path)."""
    address = address.strip()
    if "://" not in address:
        address = "//" + address
    try:
        host = urlsplit(address).hostname or ""
    except ValueError:
        host = ""
    return host.lower()


def scheme_of(address: str) -> str | None:
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", address.strip())
    return match.group(1).lower() if match else None


def allows(address: str, url: str, *, match_path: bool = False, partial: bool = False) -> bool:
    """Does one declared address let the app reach ``url``?

    Hosts must match (`*.domain` covers subdomains, not the domain itself).
    With ``match_path`` (Custom UI `fetch.client`, which becomes a CSP
    connect-src source), a path in the address restricts the URL as in CSP:
    a path ending in `/` is a prefix, any other path must match exactly.
    ``partial``: ``url`` is only the literal start of a URL built at run time,
    so it is allowed unless it already leaves the permitted path.
    """
    entry = address.strip()
    if entry == "*":
        return True
    host, entry_host = host_of(url), host_of(entry)
    if entry_host.startswith("*."):  # `*.example.com` or `https://*.example.com`
        if not host.endswith(entry_host[1:]):
            return False
    elif host != entry_host:
        return False
    if not match_path:
        return True
    wanted = urlsplit(entry if "://" in entry else "//" + entry).path
    if not wanted:
        return True
    path = urlsplit(url).path or "/"
    if partial and wanted.startswith(path):
        return True
    return path.startswith(wanted) if wanted.endswith("/") else path == wanted


def wildcard_breadth(address: str) -> str | None:
    """Why a wildcard address is over-broad, or None when it is not."""
    entry = address.strip()
    if entry == "*":
        return "allows every domain on the internet"
    host = host_of(entry)
    if "*" not in host:  # a '*' in the path widens no host
        return None
    if not host.startswith("*.") or host.count("*") != 1:
        return "uses '*' other than as a leading '*.' label"
    parent = host[2:]
    if parent in LOOPBACK_ZONES:
        return None
    if not parent or "." not in parent:
        return f"covers every domain under the top-level domain '.{parent}'" if parent else "allows every domain"
    if parent in MULTI_LABEL_SUFFIXES:
        return f"covers every domain registered under the public suffix '.{parent}'"
    if parent in SHARED_HOSTING or any(parent == z or parent.endswith("." + z) for z in SHARED_AT_ANY_DEPTH):
        return f"covers '{parent}', a shared hosting zone where anyone can get a subdomain"
    return None
