"""Reading `permissions.external` addresses: hosts, schemes and wildcard breadth.

Shared by the egress rules; facts about the documented address formats come
from the Forge permissions reference (URL, domain, `*.domain`, or `*`).
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
SHARED_HOSTING = {
    "amazonaws.com", "cloudfront.net", "herokuapp.com", "azurewebsites.net", "cloudapp.net", "appspot.com",
    "firebaseapp.com", "web.app", "github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev",
    "workers.dev", "ngrok.io", "ngrok-free.app", "glitch.me", "repl.co", "onrender.com", "fly.dev",
    "blob.core.windows.net", "storage.googleapis.com", "run.app", "trycloudflare.com", "loca.lt",
}


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


def allows(address: str, host: str) -> bool:
    """Does one declared address let the app reach ``host``?"""
    entry = address.strip()
    if entry == "*":
        return True
    pattern = host_of(entry.replace("*.", "wildcard-label.", 1)) if entry.startswith(("*.", "https://*.", "wss://*.")) \
        else None
    if pattern is not None:
        parent = pattern.split(".", 1)[1] if "." in pattern else pattern
        return host.endswith("." + parent)  # a wildcard does not include the parent domain
    return host == host_of(entry)


def wildcard_breadth(address: str) -> str | None:
    """Why a wildcard address is over-broad, or None when it is not."""
    entry = address.strip()
    if entry == "*":
        return "allows every domain on the internet"
    if "*" not in entry:
        return None
    host = host_of(entry.replace("*", "wildcard-label", 1))
    if not host.startswith("wildcard-label") or host.count("wildcard-label") != 1:
        return "uses '*' other than as a leading '*.' label"
    parent = host.split(".", 1)[1] if "." in host else ""
    if not parent or "." not in parent:
        return f"covers every domain under the top-level domain '.{parent}'" if parent else "allows every domain"
    if parent in MULTI_LABEL_SUFFIXES:
        return f"covers every domain registered under the public suffix '.{parent}'"
    for shared in SHARED_HOSTING:
        if parent == shared or parent.endswith("." + shared) and parent.count(".") <= shared.count(".") + 1:
            return f"covers '{parent}', a shared hosting zone where anyone can get a subdomain"
    return None
