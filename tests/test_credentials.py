"""Unit tests of credential facts (auditor/facts/credentials.py) and the constant propagation they use."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from auditor.facts.api_calls import extract
from auditor.facts.bindings import HOLE
from auditor.facts.credentials import _atlassian_url, literal_secrets, manifest_secrets, token_headers
from auditor.facts.values import Values, Where
from auditor.loader import SourceFile
from auditor.parsing import parse_source
from auditor.yamldoc import load_yaml
from tests.test_resolution import parse_app


def secrets(files: dict[str, str]) -> list[tuple[str, int, str, bool]]:
    """(file, line, what, also read at run time) of each literal secret of a small app."""
    parsed, values = parse_app(files)
    found = [s for p in parsed for s in literal_secrets(p, values)]
    return [(s.sink.path.name, s.sink.region.start_line, s.what, s.also_read) for s in found]


def value_of(code: str, name: str = "value") -> list[list]:
    """The strings the last `const <name> = …` of ``code`` can be."""
    parsed, values = parse_app({"index.js": code})
    declarator = [n for n in parsed[0].occurrences(name) if n.parent.type == "variable_declarator"][-1].parent
    return values.strings(declarator.child_by_field_name("value"), Where(parsed[0].path))


# -- constant propagation (values.py) -----------------------------------------


def test_base64_of_a_constant_is_computed() -> None:
    expected = base64.b64encode(b"bot@acme.com:s3cret").decode()
    assert value_of("const user = 'bot@acme.com'; const value = btoa(user + ':s3cret');") == [[expected]]
    assert value_of("const value = Buffer.from(`bot@acme.com:${'s3cret'}`).toString('base64');") == [[expected]]
    assert value_of("const value = Buffer.from('bot@acme.com:s3cret', 'utf8').toString('base64');") == [[expected]]


def test_base64_of_anything_read_at_run_time_is_unknown() -> None:
    assert value_of("const value = btoa(`${process.env.EMAIL}:${process.env.TOKEN}`);") == [[HOLE]]
    assert value_of("const value = Buffer.from('a:b').toString('hex');") == [[HOLE]]
    assert value_of("const value = Buffer.from('a:b', 'latin1').toString('base64');") == [[HOLE]]
    assert value_of("const value = `Basic ${btoa(process.env.AUTH)}`;") == [["Basic ", HOLE]]


def test_a_plain_template_keeps_the_known_parts_of_a_substitution_a_route_does_not() -> None:
    base = "const BASE = 'https://api.atlassian.com/admin/v1/orgs/' + process.env.ORG;"
    assert value_of(base + "const value = `${BASE}/users`;") == [
        ["https://api.atlassian.com/admin/v1/orgs/", HOLE, "/users"]]
    assert value_of("import { route } from '@forge/api'; const id = 'a/' + process.env.X;"
                    "const value = route`/rest/api/3/issue/${id}`;") == [["/rest/api/3/issue/", HOLE]]


def test_properties_assigned_after_the_literal() -> None:
    code = """
        const dict = {};
        dict.secret = 'assigned';
        const cfg = { key: 'initial' };
        cfg['key'] = 'replaced';
        function other() { const dict = {}; dict.secret = 'another variable'; }
    """
    assert value_of(code + "const value = dict.secret;") == [["assigned"]]
    assert value_of(code + "const value = cfg.key;") == [["initial"], ["replaced"]]
    assert value_of(code + "const value = dict.missing;") == [[HOLE]]


def test_property_values_with_any_spelling_of_the_key() -> None:
    parsed, values = parse_app({"index.js": """
        const base = { authorization: 'Bearer abc' };
        const headers = { ...base, Accept: 'application/json' };
    """})
    node = [n for n in parsed[0].occurrences("headers") if n.parent.type == "variable_declarator"][0]
    where = Where(parsed[0].path)
    assert values.property(node, "Authorization", where) == []
    found = values.property(node, "Authorization", where, fold_case=True)
    assert [values.string(v, at) for v, at in found] == ["Bearer abc"]


# -- literal secrets ----------------------------------------------------------


def test_key_sinks_through_imports_requires_and_aliases() -> None:
    assert secrets({"index.js": """
        const jwt = require('jsonwebtoken');
        const { createHmac } = require('node:crypto');
        import { sign as signToken } from 'jsonwebtoken';
        import hmac from 'crypto-js/hmac-sha256';
        import CryptoJS from 'crypto-js';
        jwt.sign({ a: 1 }, 'k-one-1234');
        createHmac('sha256', 'k-two-1234');
        signToken({}, 'k-three-123');
        hmac('message', 'k-four-1234');
        CryptoJS.AES.encrypt('text', 'k-five-1234');
    """}) == [
        ("index.js", 7, "the key of jsonwebtoken sign()", False),
        ("index.js", 8, "the key of crypto createHmac()", False),
        ("index.js", 9, "the key of jsonwebtoken sign()", False),
        ("index.js", 10, "the key of crypto-js HmacSHA256()", False),
        ("index.js", 11, "the key of crypto-js AES.encrypt()", False),
    ]


def test_a_builder_kept_in_a_variable_and_a_bundled_module() -> None:
    assert secrets({"index.js": """
        import { SignJWT } from 'jose';
        var jsonwebtoken__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__("jsonwebtoken");
        const key = new TextEncoder().encode('embed-key-123');
        const builder = new SignJWT({}).setProtectedHeader({ alg: 'HS256' });
        builder.sign(key);
        jsonwebtoken__WEBPACK_IMPORTED_MODULE_1__.verify(token, 'bundled-key-1');
    """}) == [
        ("index.js", 6, "the key of jose SignJWT().sign()", False),
        ("index.js", 7, "the key of jsonwebtoken verify()", False),
    ]


def test_values_read_at_run_time_empty_keys_and_non_sinks_are_not_secrets() -> None:
    assert secrets({"index.js": """
        import jwt from 'jsonwebtoken';
        import crypto from 'crypto';
        import bcrypt from 'bcrypt';
        import { kvs } from '@forge/kvs';
        jwt.sign({}, process.env.KEY);
        jwt.sign({}, await kvs.getSecret('signing-key'));
        jwt.sign({}, process.env.KEY || '');
        jwt.decode(token, 'not-a-key-position');
        crypto.createHash('sha256');
        bcrypt.hash(password, 10);
        const sign = (a, b) => a + b;
        sign('x', 'not-jsonwebtoken');
    """}) == []


def test_a_literal_fallback_is_reported_as_one() -> None:
    assert secrets({"index.js": """
        import jwt from 'jsonwebtoken';
        const KEY = process.env.KEY ?? 'dev-signing-key';
        jwt.verify(token, KEY);
    """}) == [("index.js", 4, "the key of jsonwebtoken verify()", True)]


def test_a_helpers_key_parameter_is_read_at_its_call_sites() -> None:
    files = {
        "crypto.js": "import CryptoJS from 'crypto-js';\n"
                     "export const seal = (text, key) => CryptoJS.AES.encrypt(text, key).toString();\n",
        "index.js": "import { seal } from './crypto';\nseal('a', process.env.K);\nseal('b', 'literal-key-1');\n",
    }
    parsed, values = parse_app(files)
    (found,) = [s for p in parsed for s in literal_secrets(p, values)]
    assert (found.sink.path.name, found.sink.region.start_line) == ("crypto.js", 2)
    assert (found.literal.path.name, found.literal.region.start_line) == ("index.js", 3)
    assert found.also_read  # the other call site passes a value read at run time


def test_credential_headers_in_every_form() -> None:
    assert [(line, what) for _, line, what, _ in secrets({"index.js": """
        const h = { Authorization: 'Bearer abc123', 'Content-Type': 'application/json' };
        const g = { 'x-api-key': 'k-123456' };
        headers.set('Authorization', 'Basic ' + 'dXNlcjpwYXNz');
        opts.headers.Authorization = `Token ${'t-0987'}`;
        const e = { Authorization: `Bearer ${process.env.TOKEN}` };
        const f = { Authorization: 'Bearer ' };
        const apiKey = 'not-a-header';
        const automation = { 'X-Automation-Webhook-Token': 'a1b2c3d4e5' };
        const upload = { 'X-Atlassian-Token': 'no-check', 'X-CSRF-Token': 'nocheck' };
        const firebase = { apiKey: 'AIzaSyD-public-web-key', authDomain: 'acme.firebaseapp.com' };
        const gateway = { 'x-apikey': 'gw-7d1e2c' };
        const storageKeys = { 'refresh-token': 'oauth:refresh', 'client-secret': 'oauth:client' };
    """})] == [
        (2, "the 'Authorization' header"),
        (3, "the 'x-api-key' header"),
        (4, "the 'Authorization' header"),
        (5, "the 'Authorization' header"),
        (9, "the 'X-Automation-Webhook-Token' header"),
        (12, "the 'x-apikey' header"),
    ]


def test_header_text_that_is_no_credential() -> None:
    assert secrets({"index.js": """
        const messages = { authorization: 'Authorization failed, sign in again' };
        const example = { headers: { Authorization: 'Bearer <your token>' } };
        const sample = { 'X-API-Key': 'YOUR_API_KEY' };
        const masked = { Authorization: 'Basic ****' };
    """}) == []


def test_a_public_key_verifies_and_is_no_secret() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\\n-----END PUBLIC KEY-----"
    private = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\\n-----END PRIVATE KEY-----"
    assert secrets({"index.js": f"""
        import jwt from 'jsonwebtoken';
        const PUBLIC = '{pem}';
        jwt.verify(token, PUBLIC, {{ algorithms: ['RS256'] }});
        jwt.sign(claims, '{private}', {{ algorithm: 'RS256' }});
    """}) == [("index.js", 5, "the key of jsonwebtoken sign()", False)]


# -- token headers ------------------------------------------------------------


@pytest.mark.parametrize("url,path", [
    ("https://acme.atlassian.net/rest/api/3/myself", "/rest/api/3/myself"),
    ("https://api.atlassian.com/admin/v1/orgs", "/admin/v1/orgs"),
    ("https://api.bitbucket.org/2.0/user", "/2.0/user"),
    ("https://acme.atlassian.net", "/"),
    ("https://acme.atlassian.net.evil.com/rest", None),
    ("https://evilatlassian.net/rest", None),
    ("https://bitbucket.org/acme", None),
    ("/rest/api/3/myself", None),
    ("api.atlassian.com/rest/api/3/issue", "/rest/api/3/issue"),  # no scheme: still the host
    ("rest/api/3/issue", None),
])
def test_atlassian_urls(url: str, path: str | None) -> None:
    assert _atlassian_url([url]) == path


def test_atlassian_urls_with_parts_read_at_run_time() -> None:
    assert _atlassian_url(["https://", HOLE, ".atlassian.net/rest/api/3/issue/", HOLE]) == "/rest/api/3/issue/…"
    assert _atlassian_url(["https://", HOLE, ".atlassian.net.example.com/x"]) is None
    assert _atlassian_url(["https://acme.atlassian.net", HOLE]) == "/"  # the path is the hole
    assert _atlassian_url(["https://", HOLE, ".atlassian.net", HOLE]) == "/"
    assert _atlassian_url(["https://acme.example.com", HOLE]) is None
    assert _atlassian_url(["https://api.", HOLE, ".com/x"]) is None
    # a site URL read from settings: the path says it is a product's REST API
    assert _atlassian_url([HOLE, "/rest/api/3/myself"]) == "/rest/api/3/myself"
    assert _atlassian_url(["https://", HOLE, "/wiki/api/v2/pages"]) == "/wiki/api/v2/pages"
    assert _atlassian_url([HOLE, ".atlassian.net/rest/agile/1.0/board"]) == "/rest/agile/1.0/board"
    assert _atlassian_url([HOLE, "/v1/items"]) is None
    assert _atlassian_url(["https://", HOLE, "/api/rest/api/3/myself"]) is None


def test_one_token_header_per_request() -> None:
    code = """
        import api, { fetch, route } from '@forge/api';
        const AUTH = { headers: { Authorization: `Basic ${btoa(process.env.CREDS)}` } };
        await fetch('https://acme.atlassian.net/rest/api/3/search', AUTH);
        await fetch('https://acme.atlassian.net.example.org/rest/api/3/search', AUTH);
        await fetch('https://api.github.com/user', AUTH);
        await api.asUser().requestJira(route`/rest/api/3/myself`, { headers: new Headers({ authorization: 'Bearer ' + t }) });
        await api.asUser().requestJira(route`/rest/api/3/myself`, { headers: { Authorization: `JWT ${t}` } });
        await fetch(`https://api.atlassian.com/scim/directory/${d}/Users`, { headers: { Authorization: `Bearer ${t}` } });
    """
    parsed, values = parse_app({"index.js": code})
    facts = extract(parsed[0], values)
    found = token_headers(facts.api_calls, facts.fetch_calls, parsed, lambda _: values)
    assert [(h.location.region.start_line, h.scheme, h.admin) for h in found] == [
        (4, "Basic", False), (7, "Bearer", False), (9, "Bearer", True)]


def test_headers_a_wrappers_callers_pass() -> None:
    parsed, values = parse_app({
        "jira.js": "import { fetch } from '@forge/api';\n"
                   "export const jira = (path, options) => fetch(`https://acme.atlassian.net${path}`, options);\n",
        "index.js": "import { jira } from './jira';\n"
                    "jira('/rest/api/3/myself', { headers: { Accept: 'application/json' } });\n"
                    "jira('/rest/api/3/search', { headers: { Authorization: `Basic ${process.env.AUTH}` } });\n",
    })
    facts = [extract(p, values) for p in parsed]
    found = token_headers([c for f in facts for c in f.api_calls], [c for f in facts for c in f.fetch_calls],
                          parsed, lambda _: values)
    assert [(h.location.path.name, h.location.region.start_line, h.header.path.name, h.header.region.start_line)
            for h in found] == [("jira.js", 2, "index.js", 3)]


# -- the manifest --------------------------------------------------------------


def test_manifest_provider_secrets() -> None:
    doc = load_yaml("""\
providers:
  auth:
    - key: crm
      clientId: crm-client-1
      actions:
        exchange:
          path: /token
          resolvers:
            accessToken: access_token
          overrides:
            body:
              client_secret: 7c1d2e3f4a5b
              grant_type: authorization_code
              token_type_hint: refresh_token
              api_key: ''
              app_token: 3f9e2d1c8b7a
              token_endpoint: /oauth/token
        refreshToken:
          overrides:
            headers:
              Authorization: 'Basic {{credentials}}'
            body:
              clientSecret: ${CRM_SECRET}
        authorization:
          queryParameters:
            password: hunter22
modules:
  function:
    - key: sync
      handler: index.sync
      providers:
        auth:
          - crm
    - key: oauth-callback
      handler: index.callback
      providers:
        auth:
          - provider: crm
    - key: other
      handler: index.other
""")
    found = manifest_secrets(doc, Path("/app/manifest.yml"))
    assert {s.functions for s in found} == {("sync", "oauth-callback")}
    assert [(s.sink.region.start_line, s.what) for s in found] == [
        (12, "the 'client_secret' parameter of provider 'crm' action 'exchange'"),
        (16, "the 'app_token' parameter of provider 'crm' action 'exchange'"),
        (26, "the 'password' parameter of provider 'crm' action 'authorization'"),
    ]


# -- bad input ------------------------------------------------------------------


def test_broken_code_never_crashes_the_credential_facts() -> None:
    """The fixtures' code cut short, with a piece left out or an unclosed template spliced in, at
    seeded random places: whatever tree-sitter recovers, the facts are computed without an error."""
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    files = sorted(p for area in ("secrets", "auth-token") for p in (fixtures / area).rglob("*")
                   if p.suffix in (".js", ".ts", ".jsx", ".tsx"))
    rng = random.Random(10)
    checked = 0
    for path in files:
        data = path.read_bytes()
        for cut in rng.sample(range(len(data)), 8):
            for variant in (data[:cut], data[:cut] + data[cut + 7:], data[:cut] + b"(`${" + data[cut:]):
                parsed, _ = parse_source(SourceFile(Path("/app") / path.name, variant))
                if parsed is None:
                    continue
                values = Values([parsed])
                literal_secrets(parsed, values)
                facts = extract(parsed, values)
                token_headers(facts.api_calls, facts.fetch_calls, [parsed], lambda _: values)
                checked += 1
    assert checked > 100
