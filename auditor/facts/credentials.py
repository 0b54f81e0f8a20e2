"""Credentials written into an app, and Atlassian tokens sent around Forge's managed auth.

* literal secrets: a constant (followed through names, objects, imports and concatenation by
  values.py) given as the key of a signing, MAC or cipher function (``KEY_SINKS``), or as the value
  of an ``Authorization`` / API-key header (``SECRET_HEADERS``);
* manifest secrets: literal values under ``providers.auth[].actions`` whose key names a secret;
* token headers: an ``Authorization: Basic …`` / ``Bearer …`` header on a product request or on a
  ``fetch`` to an Atlassian host: an API token (or an organization's container token) standing in
  for Forge's ``asApp()`` / ``asUser()`` auth.

Candidates are found by byte search (sink names, header names) before any tree lookup.
"""

from __future__ import annotations

import binascii
import re
from pathlib import Path
from typing import Any, NamedTuple

import tree_sitter

from auditor.facts.api_calls import ApiCall, FetchCall
from auditor.facts.bindings import FileBindings, call_of_callee, module_source, same, string_value, unwrap
from auditor.facts.taint import arguments
from auditor.facts.values import Trace, Values, Where
from auditor.model import Location
from auditor.parsing import ParsedFile, text
from auditor.yamldoc import YamlDoc
from rules.egress import allows

# package -> function (its path below the module: `jwt.sign` is "sign", `CryptoJS.AES.encrypt` is
# "AES.encrypt", a method of a built object is "Class#method") -> index of its key argument.
# Keys only: the password of a key derivation counts, a bcrypt salt or round count does not (it is
# no secret); a bcrypt hash compared against is a hard-coded password.
_CRYPTO_JS_HMACS = ("HmacMD5", "HmacSHA1", "HmacSHA224", "HmacSHA256", "HmacSHA384", "HmacSHA512", "HmacSHA3",
                    "HmacRIPEMD160")
_CRYPTO_JS_CIPHERS = ("AES", "DES", "TripleDES", "Rabbit", "RabbitLegacy", "RC4", "RC4Drop")
_BCRYPT = {"compare": 1, "compareSync": 1}
# What the secret argument is, when it is not a key.
_ROLES = {"compare": "the password hash", "compareSync": "the password hash", "PBKDF2": "the password",
          "pbkdf2": "the password", "pbkdf2Sync": "the password", "scrypt": "the password", "scryptSync": "the password"}
KEY_SINKS: dict[str, dict[str, int]] = {
    "jsonwebtoken": {"sign": 1, "verify": 1},
    "jwt-simple": {"encode": 1, "decode": 1},
    "atlassian-jwt": {"encodeSymmetric": 1, "decodeSymmetric": 1, "encodeAsymmetric": 1},
    "crypto": {"createHmac": 1, "createCipheriv": 1, "createDecipheriv": 1, "createSecretKey": 0,
               "pbkdf2": 0, "pbkdf2Sync": 0, "scrypt": 0, "scryptSync": 0},
    "crypto-js": {**{name: 1 for name in _CRYPTO_JS_HMACS}, "PBKDF2": 0,
                  **{f"{cipher}.{op}": 1 for cipher in _CRYPTO_JS_CIPHERS for op in ("encrypt", "decrypt")}},
    "jose": {"jwtVerify": 1, "jwtDecrypt": 1, "compactDecrypt": 1, "SignJWT#sign": 0, "EncryptJWT#encrypt": 0},
    "bcrypt": _BCRYPT,
    "bcryptjs": _BCRYPT,
}
# crypto-js submodules export one function (or cipher) each: `import hmacSHA256 from 'crypto-js/hmac-sha256'`.
_CRYPTO_JS_PARTS = {f"crypto-js/{re.sub(r'(?<=[a-z])(?=[A-Z0-9])', '-', name).lower()}": name
                    for name in (*_CRYPTO_JS_HMACS, "PBKDF2")} | {
    f"crypto-js/{name.lower()}": name for name in _CRYPTO_JS_CIPHERS}
_SINK_NAMES = {path.replace("#", ".").rsplit(".", 1)[-1] for table in KEY_SINKS.values() for path in table}
_SINK_PACKAGES = (b"jsonwebtoken", b"jwt-simple", b"jwt_simple", b"atlassian-jwt", b"atlassian_jwt", b"crypto", b"jose",
                  b"bcrypt")  # in a file calling a sink: its import, require or bundler name
# webpack and esbuild name an imported module after its package: crypto_js__WEBPACK_IMPORTED_MODULE_2__
_BUNDLED = re.compile(r"^(?:(\w+?)__WEBPACK_IMPORTED_MODULE_\d+__(?:_+default)?|import_(\w+?)\d*)$")
# Headers that carry a credential: Authorization, Api-Key, Private-Token, and custom `X-` headers ending
# in a credential word (X-API-Key, X-Auth-Token, X-Automation-Webhook-Token, X-Webhook-Secret). Anti-forgery
# headers (X-Atlassian-Token: no-check, X-CSRF-Token) hold no secret. Bare `apiKey` is left out: as a
# property name it is mostly a configuration field (and some, like a Firebase web key, are public).
SECRET_HEADERS = re.compile(r"(?i)^(?:proxy-)?authorization$|^api-key$|^private-token$|"
                            r"^x-(?:[a-z0-9]+-)*(?:api-?key|token|secret)$")
_NO_SECRET_HEADERS = re.compile(r"(?i)^(?:x-)?(?:atlassian|csrf|xsrf)-token$")
_HEADER_WORDS = (b"authorization", b"api-key", b"apikey", b"-token", b"-secret")
_SCHEME = re.compile(r"(?i)^\s*(basic|bearer|token|jwt|apikey|sso-key)\s+")
# Stand-ins for a secret, not secrets: `<token>`, `YOUR_API_KEY`, `xxxx`, `changeme`.
_PLACEHOLDER = re.compile(r"(?i)^(?:<.*>|\[.*\]|x{3,}|\*{3,}|\.{3,}|your[-_]?\w*|changeme|change[-_]me|placeholder|"
                          r"token|secret|password|api[-_]?key|null|undefined|none|todo|tbd)$")
# A public key or certificate verifies; it is no secret.
_PUBLIC_KEY = re.compile(r"-----BEGIN (?:[A-Z ]*PUBLIC KEY|CERTIFICATE)-----")
_TOKEN_SCHEME = re.compile(r"(?i)^\s*(basic|bearer)\s")

# Atlassian's own hosts (rules/egress.py `allows` patterns): a token sent there is an Atlassian token.
ATLASSIAN_HOSTS = ("*.atlassian.net", "*.atlassian.com", "api.bitbucket.org")
# REST paths only Atlassian's products serve (Jira, Jira Software and Service Management, Confluence, the gateway).
_PRODUCT_PATH = re.compile(r"^/(?:rest/(?:api|agile|servicedeskapi|devinfo|builds|deployments)/|"
                           r"wiki/(?:rest/api|api/v2)/|gateway/api/)")
# Organization administration: reached with an admin API key, which Atlassian calls a container token.
_ADMIN_PATH = re.compile(r"^/(?:admin/|scim/)|/users/[^/]+/manage\b")

# Manifest: keys of providers.auth[].actions parameters that name a secret, and keys that only
# describe one (`token_type_hint: refresh_token` names a kind of token, it is none).
_SECRET_KEY = re.compile(r"(?i)secret|password|passwd|credential|api[-_]?key|private[-_]?key|token|^authorization$")
_DESCRIBING_KEY = re.compile(r"(?i)(?:type|hint|url|uri|name|endpoint|expires(?:_in)?|expiry|expiration|lifetime|ttl|"
                             r"path|method|format|prefix|param(?:eter)?|location)$")
_ACTION_PARAMETERS = ("queryParameters", "headers", "body")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{.*?\}")


class LiteralSecret(NamedTuple):
    what: str                     # "the key of jsonwebtoken sign()", "the 'Authorization' header"
    sink: Location                # where the constant is used as a secret
    literal: Location             # where it is written
    preview: str                  # the secret with all but its start hidden
    also_read: bool               # the value can also be one read at run time (a fallback, another caller)
    node: tree_sitter.Node | None = None  # the sink, for entry points (None in the manifest)
    functions: tuple[str, ...] = ()       # in the manifest: the functions using the provider


class TokenHeader(NamedTuple):
    scheme: str                   # Basic | Bearer
    target: str                   # "requestJira() to /rest/api/3/…", "fetch() to https://acme.atlassian.net/…"
    location: Location            # the request
    header: Location              # where the header value is written
    admin: bool                   # Bearer to an organization admin path: a container token
    node: tree_sitter.Node


def preview(secret: str) -> str:
    """Enough of a secret to recognise it, not to use it."""
    shown = secret[:4] if len(secret) >= 12 else secret[:1]
    return f"'{shown}…' ({len(secret)} characters)"


# -- literal secrets in code --------------------------------------------------


def literal_secrets(parsed: ParsedFile, values: Values) -> list[LiteralSecret]:
    """The constants the file uses as keys of KEY_SINKS functions or as credential header values."""
    where = Where(parsed.path)
    found = []
    if any(package in parsed.data for package in _SINK_PACKAGES):
        bindings = values.bindings(parsed.path)
        # sinks by their own names, and under the local names of imports (`import hmac from 'crypto-js/hmac-sha256'`)
        names = _SINK_NAMES | {local for local, imported in bindings.imports.items()
                               if _package(imported.module, imported.name)[0] in KEY_SINKS}
        for node in parsed.occurrences("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))):
            call = call_of_callee(node)
            if call is None:
                continue
            sink = _key_sink(call, values, where)
            if sink is None:
                continue
            (package, path), index = sink
            given = call.child_by_field_name("arguments")
            args = [a for a in given.named_children if a.type != "comment"] if given.type == "arguments" else []
            if index < len(args):
                role = _ROLES.get(path.rsplit(".", 1)[-1], "the key")
                found += _secrets(values, args[index], where, f"{role} of {_sink_name(package, path)}",
                                  parsed.location(args[index]), args[index])
    for node in _header_names(parsed):
        header = _header_value(node)
        if header is not None:
            name, value = header
            found += _secrets(values, value, where, f"the '{name}' header", parsed.location(value), value,
                              header=True)
    return found


def _header_names(parsed: ParsedFile) -> list[tree_sitter.Node]:
    """The names (property names, string contents) holding a word of ``_HEADER_WORDS`` in any case:
    found in the lower-cased bytes, as a case-blind regex costs ten times that on a bundle."""
    lower, root, found = parsed.data.lower(), parsed.tree.root_node, {}
    for word in _HEADER_WORDS:
        start = lower.find(word)
        while start >= 0:
            node = root.named_descendant_for_byte_range(start, start + len(word))
            if node is not None and node.type in ("property_identifier", "string_fragment"):
                found[node.start_byte] = node
            start = lower.find(word, start + len(word))
    return [found[start] for start in sorted(found)]


def _mentions(data: bytes, words: tuple[bytes, ...]) -> bool:
    lower = data.lower()
    return any(word in lower for word in words)


def _secrets(values: Values, node: tree_sitter.Node, where: Where, what: str, sink: Location,
             sink_node: tree_sitter.Node, header: bool = False) -> list[LiteralSecret]:
    """At most one finding per sink: the first constant the value can be that is a secret."""
    constants = _constants(values, node, where)
    known = [c for c in constants if c is not None]
    for value, literal in known:
        secret = credential(value) if header else value.strip()
        if secret and not _PUBLIC_KEY.search(secret):
            return [LiteralSecret(what, sink, literal, preview(secret), len(known) < len(constants),
                                  sink_node)]
    return []


def credential(value: str) -> str | None:
    """The secret a header (or manifest parameter) value carries after its scheme; None for text that
    is no credential: empty, words with spaces between them ('Authorization failed'), a placeholder."""
    scheme = _SCHEME.match(value)
    secret = value[scheme.end():].strip() if scheme else value.strip()
    if scheme and scheme.group(1).lower() == "basic" and _blank_basic(secret):
        return None
    return secret if _has_alnum(secret) and not re.search(r"\s", secret) and not _PLACEHOLDER.match(secret) \
        else None


def _has_alnum(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _blank_basic(basic: str) -> bool:
    """Are ``basic`` Basic credentials with neither a user nor a password (`Og==`, ':', is what
    `${user || ''}:${token || ''}` folds to with the run-time reads' empty fallbacks)? A key sent as the
    user with no password (`sk_live_…:`) is a secret."""
    try:
        decoded = binascii.a2b_base64(basic, strict_mode=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return not _has_alnum(decoded)


def _constants(values: Values, node: tree_sitter.Node, where: Where, depth: int = 0) -> list[tuple[str, Location] | None]:
    """Each value the expression can be: a constant string with where it is written, None when read at
    run time. Bytes of a constant (`new TextEncoder().encode('k')`, `Buffer.from('k')`) are the constant."""
    found: list[tuple[str, Location] | None] = []
    for source, at in values.sources(node, where, Trace(open=True)):  # a helper's key parameter: its callers
        inner = _bytes_of(source) if source is not None and depth < 2 else None
        if inner is not None:
            found += _constants(values, inner, at, depth + 1)
            continue
        if source is None or source.type not in ("string", "template_string", "binary_expression", "call_expression"):
            found.append(None)
            continue
        location = values.parsed(at.path).location(source)
        found += [(parts[0], location) if len(parts) == 1 and isinstance(parts[0], str) else None
                  for parts in values.strings(source, at, Trace(open=True))]
    return found


def _bytes_of(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """``s`` in ``new TextEncoder().encode(s)`` and ``Buffer.from(s[, encoding])``."""
    if node.type != "call_expression":
        return None
    fn, args = unwrap(node.child_by_field_name("function")), node.child_by_field_name("arguments")
    if fn.type != "member_expression" or args is None or not args.named_children:
        return None
    receiver, method = unwrap(fn.child_by_field_name("object")), text(fn.child_by_field_name("property"))
    if receiver.type == "new_expression":
        receiver = receiver.child_by_field_name("constructor")
    if (text(receiver), method) in (("TextEncoder", "encode"), ("Buffer", "from")):
        return args.named_children[0]
    return None


def _header_value(node: tree_sitter.Node) -> tuple[str, tree_sitter.Node] | None:
    """(header name, value) where a header name occurs as an object key (`Authorization: v`), the
    name of `headers.set('Authorization', v)` / `append`, or an assigned member (`h.Authorization = v`,
    `h['Authorization'] = v`)."""
    name_node = node.parent if node.type == "string_fragment" else node
    name = string_value(name_node) if name_node.type == "string" else text(name_node)
    if not SECRET_HEADERS.match(name) or _NO_SECRET_HEADERS.match(name):
        return None
    parent = name_node.parent
    if parent is None:
        return None
    if parent.type == "pair" and same(parent.child_by_field_name("key"), name_node):
        value = parent.child_by_field_name("value")
        return (name, value) if value is not None else None
    if parent.type == "arguments" and same(parent.named_children[0], name_node) and len(parent.named_children) == 2:
        call = parent.parent
        fn = call.child_by_field_name("function") if call is not None else None
        if fn is not None and fn.type == "member_expression" and text(fn.child_by_field_name("property")) in ("set", "append"):
            return name, parent.named_children[1]
        return None
    member = parent if parent.type in ("member_expression", "subscript_expression") else None
    assignment = member.parent if member is not None else None
    if assignment is not None and assignment.type == "assignment_expression" \
            and same(assignment.child_by_field_name("left"), member):
        return name, assignment.child_by_field_name("right")
    return None


def _key_sink(call: tree_sitter.Node, values: Values, where: Where) -> tuple[tuple[str, str], int] | None:
    """((package, function path), key argument index) when ``call`` is a KEY_SINKS function."""
    named = _named(call.child_by_field_name("function"), values, where)
    if named is None:
        return None
    package, path = named[0], ".".join(named[1])
    index = KEY_SINKS.get(package, {}).get(path)
    return ((package, path), index) if index is not None else None


def _named(node: tree_sitter.Node, values: Values, where: Where, built: bool = False) -> tuple[str, list[str]] | None:
    """(package, path inside it) of a callee: `jwt.sign` -> ("jsonwebtoken", ["sign"]); a method of an
    object built by a package's class (`new SignJWT(p).setProtectedHeader(h).sign`, also kept in a
    variable first) -> ["SignJWT#sign"]."""
    node, names = unwrap(node), []
    while node.type == "member_expression":
        names.insert(0, text(node.child_by_field_name("property")))
        node = unwrap(node.child_by_field_name("object"))
    module = _module_of(node, values.bindings(where.path))
    if module is not None:
        return module[0], module[1] + names
    if not names or built:
        return None
    roots = [(node, where)] if node.type == "call_expression" else \
        [(value, at) for value, at in values.sources(node, where) if value is not None] if node.type == "identifier" else []
    for root, at in roots:
        while root.type == "call_expression" and unwrap(root.child_by_field_name("function")).type == "member_expression":
            root = unwrap(unwrap(root.child_by_field_name("function")).child_by_field_name("object"))  # a builder chain
        if root.type == "new_expression":
            cls = _named(root.child_by_field_name("constructor"), values, at, built=True)
            if cls is not None and cls[1]:
                return cls[0], [".".join(cls[1]) + "#" + names[-1]]
    return None


def _sink_name(package: str, path: str) -> str:
    return f"{package} {path.replace('#', '().')}()"


def _module_of(node: tree_sitter.Node, bindings: FileBindings) -> tuple[str, list[str]] | None:
    """(package, path inside it) an expression names: an import or require of a package (or one of
    its parts), `require('m')` itself, or a bundler's import variable."""
    if node.type == "call_expression":
        module = module_source(node)
        if module is not None:
            return _package(module, "*")
        fn = unwrap(node.child_by_field_name("function"))  # webpack's getter of a default export: `m___default()`
        node = fn if fn.type == "identifier" and text(fn).endswith("_default") else node
    if node.type != "identifier":
        return None
    imported = bindings.imports.get(text(node))
    if imported is not None:
        return _package(imported.module, imported.name)
    bundled = _BUNDLED.match(text(node))
    if bundled is None:
        return None
    mangled = bundled.group(1) or bundled.group(2)
    for package in (*KEY_SINKS, *_CRYPTO_JS_PARTS):
        if re.sub(r"\W", "_", package) == mangled:
            return _package(package, "*")
    return None


def _package(module: str, name: str) -> tuple[str, list[str]]:
    module = module.removeprefix("node:")
    path = [] if name in ("*", "default") else [name]
    if module in _CRYPTO_JS_PARTS:
        return "crypto-js", [_CRYPTO_JS_PARTS[module]] + path
    return module, path


# -- token headers on requests to Atlassian ------------------------------------


def token_headers(api_calls: list[ApiCall], fetch_calls: list[FetchCall], files: list[ParsedFile],
                  values_of) -> list[TokenHeader]:
    """One per request sending `Authorization: Basic|Bearer …` to a product API or an Atlassian host;
    ``values_of(parsed)``: the Values the file's code is read with."""
    if not any(_mentions(f.data, (b"basic", b"bearer")) for f in files):
        return []  # no file even spells the schemes
    by_path = {f.path: f for f in files}
    # request call -> (call, file, what it is, URLs or product paths, the options argument)
    requests: dict[int, tuple[tree_sitter.Node, Path, str, list, tree_sitter.Node | None]] = {}
    for call in api_calls:
        if call.node is not None:
            path = (call.request or call.location).path
            requests.setdefault(call.node.id, (call.node, path, f"{call.function}()", [], _argument(call.node, 1))
                                )[3].append(call.parts)
    for fetch in fetch_calls:
        if fetch.node is not None:
            urls = requests.setdefault(fetch.node.id, (fetch.node, fetch.location.path, "fetch()", [],
                                                       _argument(fetch.node, 1)))[3]
            urls.append(fetch.parts)
            if any(not isinstance(p, str) for p in fetch.parts):  # a wrapper's parameter: its callers' URLs
                urls.append(_argument(fetch.node, 0))
    for parsed in files:
        if b"axios" in parsed.data:
            values = values_of(parsed)
            for node, function, url, options in _axios_requests(values.bindings(parsed.path)):
                if url is None and options is not None:  # axios(config): the URLs the config's `url` may hold
                    trace = Trace(open=True)
                    urls = [parts for value, at in values.property(options, "url", Where(parsed.path), trace)
                            if value is not None for parts in values.strings(value, at, trace)]
                else:
                    urls = [url] if url is not None else []
                requests[node.id] = (node, parsed.path, function, urls, options)
    found = []
    for node, path, function, paths, options in requests.values():
        parsed = by_path[path]
        values = values_of(parsed)
        product = not function.startswith(("fetch", "axios"))
        targets = paths if product else _atlassian_targets(values, paths, path)
        if not targets or options is None:
            continue
        header = _token_header(values, options, Where(path))
        if header is None:
            continue
        scheme, location = header
        shown = _shown(targets[0])
        admin = scheme == "Bearer" and any(_ADMIN_PATH.search(_shown(p) if product else _atlassian_url(p))
                                           for p in targets)
        found.append(TokenHeader(scheme, f"{function} to {shown}", parsed.location(node), location, admin, node))
    return sorted(found, key=lambda h: (str(h.location.path), h.location.region))


def _atlassian_targets(values: Values, urls: list, path: Path) -> list[list]:
    """The URLs (as parts) to Atlassian hosts among ``urls``: evaluated parts, or URL expressions read
    through the callers of the function holding them (`fetch(url, …)` in a wrapper)."""
    found = []
    for url in urls:
        if isinstance(url, list):
            found += [url] if _atlassian_url(url) is not None else []
        elif url is not None:
            found += [parts for parts in values.strings(url, Where(path), Trace(open=True))
                      if _atlassian_url(parts) is not None]
    return found


def _argument(call: tree_sitter.Node, index: int) -> tree_sitter.Node | None:
    args = arguments(call)
    return args[index] if index < len(args) else None


# axios methods: where the URL and the request options are among the arguments (data comes between them)
_AXIOS = {"get": (0, 1), "delete": (0, 1), "head": (0, 1), "options": (0, 1),
          "post": (0, 2), "put": (0, 2), "patch": (0, 2), "request": (None, 0)}


def _axios_requests(bindings: FileBindings) -> list[tuple[tree_sitter.Node, str, tree_sitter.Node | None,
                                                              tree_sitter.Node | None]]:
    """(call, "axios.get()", URL expression, options) of the requests made through the `axios` package:
    `axios.get(url, options)`, `axios.post(url, data, options)`, `axios(options)`, `axios(url, options)`
    (no URL expression for `axios(options)`: its `url` is read from them)."""
    found = []
    for local, imported in bindings.imports.items():
        if imported.module != "axios" or imported.name not in ("default", "*"):
            continue
        for node in bindings.parsed.occurrences(re.escape(local)):
            member = node.parent if node.parent is not None and node.parent.type == "member_expression" and \
                same(node.parent.child_by_field_name("object"), node) else None
            call = call_of_callee(member if member is not None else node)
            if call is None or node.type != "identifier":
                continue
            fn = unwrap(call.child_by_field_name("function"))
            method = text(fn.child_by_field_name("property")) if fn.type == "member_expression" else None
            if method is None:  # axios(options) or axios(url, options)
                url_at, options_at = (0, 1) if _argument(call, 1) is not None else (None, 0)
            elif method in _AXIOS:
                url_at, options_at = _AXIOS[method]
            else:
                continue
            found.append((call, f"axios.{method}()" if method else "axios()",
                          _argument(call, url_at) if url_at is not None else None, _argument(call, options_at)))
    return found


def _token_header(values: Values, options: tree_sitter.Node, where: Where) -> tuple[str, Location] | None:
    """(scheme, where the header value is written) of the Authorization header in a request's options."""
    trace = Trace(open=True)  # options a wrapper's caller passes: every caller's
    for headers, at in values.property(options, "headers", where, trace):
        if headers is not None and headers.type == "new_expression" \
                and text(headers.child_by_field_name("constructor")) == "Headers":
            given = headers.child_by_field_name("arguments")
            headers = given.named_children[0] if given is not None and given.named_children else None
        for value, value_at in values.property(headers, "Authorization", at, trace, fold_case=True) if headers else []:
            for parts in values.strings(value, value_at, trace) if value is not None else []:
                match = _TOKEN_SCHEME.match(parts[0]) if parts and isinstance(parts[0], str) else None
                if match:
                    return match.group(1).capitalize(), values.parsed(value_at.path).location(value)
    return None


def _atlassian_url(parts: list) -> str | None:
    """The path of a URL to an Atlassian host: a hole may stand for the leading labels of the host
    (`https://${site}.atlassian.net`), or for the whole host when the path is one only Atlassian's
    products serve (`${siteUrl}/rest/api/3/…`, a site URL from settings); None for any other URL."""
    url = re.sub("\0+", "\0", "".join(p if isinstance(p, str) else "\0" for p in parts))
    if url.startswith("\0") or re.match(r"(?i)^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#]|$)", url):
        url = "https://" + url  # a hole holding the scheme, or a host written without one
    match = re.match(r"(?i)^https?://([^/?#]*)(.*)$", url)
    if match is None:
        return None
    host, rest = match.groups()
    path = rest.replace("\0", "…") or "/"
    if host == "\0":
        return path if _PRODUCT_PATH.match(rest) else None
    if host.startswith("\0"):
        host = "x" + host[1:].split("\0", 1)[0]  # the leading labels, whatever they are
        if not host.startswith("x."):
            return None
    else:
        host = host.split("\0", 1)[0]  # a hole after the host: the path, a port or a query
    return path if any(allows(pattern, f"https://{host}") for pattern in ATLASSIAN_HOSTS) else None


def _shown(parts: list) -> str:
    return "".join(p if isinstance(p, str) else "…" for p in parts)


# -- the manifest --------------------------------------------------------------


def manifest_secrets(doc: YamlDoc, path: Path) -> list[LiteralSecret]:
    """Literal secrets among the parameters of `providers.auth[].actions` (query parameters, override
    headers and body of the authorization, exchange, refresh and revoke requests)."""
    found = []
    providers = doc.get(("providers", "auth"))
    for i, provider in enumerate(providers if isinstance(providers, list) else []):
        actions = provider.get("actions") if isinstance(provider, dict) else None
        users = _provider_users(doc, provider.get("key")) if actions else ()
        base = ("providers", "auth", i, "actions")
        for key_path, value in _parameters(actions, base, False):
            key = key_path[-1]
            if not isinstance(key, str) or not _SECRET_KEY.search(key) or _DESCRIBING_KEY.search(key):
                continue
            secret = credential(value)
            if secret is None or _TEMPLATE.search(value):
                continue
            where = Location(path, doc.region(key_path))
            action = key_path[len(base)]
            found.append(LiteralSecret(f"the '{key}' parameter of provider '{provider.get('key')}' action '{action}'",
                                       where, where, preview(secret), False, functions=users))
    return found


def _provider_users(doc: YamlDoc, key: Any) -> tuple[str, ...]:
    """Keys of the `function` modules whose `providers.auth` names provider ``key`` (by name or as
    `{provider: key}`)."""
    functions = doc.get(("modules", "function"))
    users = []
    for function in functions if isinstance(functions, list) else []:
        auth = (function.get("providers") or {}).get("auth") if isinstance(function, dict) else None
        named = [a.get("provider") if isinstance(a, dict) else a for a in auth] if isinstance(auth, list) else []
        if key in named and isinstance(function.get("key"), str):
            users.append(function["key"])
    return tuple(users)


def _parameters(node: Any, at: tuple, inside: bool) -> list[tuple[tuple, str]]:
    """(path, value) of each string under a query parameter, header or body map."""
    if isinstance(node, dict):
        return [found for key, value in node.items()
                for found in _parameters(value, at + (key,), inside or key in _ACTION_PARAMETERS)]
    if isinstance(node, list):
        return [found for i, value in enumerate(node) for found in _parameters(value, at + (i,), inside)]
    return [(at, node)] if inside and isinstance(node, str) else []


__all__ = ["LiteralSecret", "TokenHeader", "literal_secrets", "token_headers", "manifest_secrets", "KEY_SINKS"]
