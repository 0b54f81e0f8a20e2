"""Reports secrets written into the app: literal signing, MAC and cipher keys, credential headers, and
secrets in the manifest's OAuth providers.

## What it does
Follows constants (through variables, object properties, also those assigned after the object
(`cfg.key = 'k'`), module constants, imports, concatenation and templates,
`Buffer.from(s).toString('base64')`, `btoa(s)`, `new TextEncoder().encode(s)`) into:

* the key argument of a signing, MAC, cipher or key-derivation function: `jsonwebtoken`
  `sign`/`verify`; `jwt-simple` `encode`/`decode`; `atlassian-jwt`
  `encodeSymmetric`/`decodeSymmetric`/`encodeAsymmetric`; Node's `crypto` `createHmac`,
  `createCipheriv`, `createDecipheriv`, `createSecretKey`, `pbkdf2`, `scrypt` (and their `Sync`
  forms); `crypto-js` `Hmac*`, `PBKDF2` and the `encrypt`/`decrypt` of `AES`, `DES`, `TripleDES`,
  `Rabbit`, `RC4`; `jose` `jwtVerify`, `jwtDecrypt`, `compactDecrypt`, `new SignJWT(…).sign(key)`,
  `new EncryptJWT(…).encrypt(key)`; `bcrypt`/`bcryptjs` `compare` against a literal hash (a
  hard-coded password). A bcrypt salt or round count is no secret and is not reported;
* the value of a credential header, after its scheme (`Basic `, `Bearer `…): `Authorization`,
  `Proxy-Authorization`, `Api-Key`, `Private-Token`, and any `X-` header ending in `-API-Key`,
  `-Token` or `-Secret` (`X-API-Key`, `X-Auth-Token`, `X-Automation-Webhook-Token`), but not the
  anti-forgery `X-Atlassian-Token` and `X-CSRF-Token`/`X-XSRF-Token`; as an object key,
  `headers.set(…)`/`append(…)`, or an assigned member (`h.Authorization = …`);
* in `manifest.yml`, a value under `providers.auth[].actions` query parameters, override headers or
  body whose key names a secret (`client_secret`, `password`, `api_key`, `access_token`,
  `Authorization`…; a key describing one, like `token_type_hint` or `token_endpoint`, does
  not) and that is not a `{{…}}` or `${…}` template.

A constant used only when a value read at run time is missing (`process.env.JWT_KEY || 'dev-key'`)
is reported too: a deployment without the variable runs with the published key. Values read from
`process.env`, secret storage (`kvs.getSecret`) or the request are not literals and are not
reported, nor are empty strings, public keys and certificates (PEM `PUBLIC KEY`/`CERTIFICATE`), and,
as header or manifest values, text with spaces in it (`'Authorization failed'`), placeholders
(`<token>`, `YOUR_API_KEY`, `xxxx`, `changeme`) and values without a letter or digit, Basic
credentials included (`${email || ''}:${token || ''}` with both fallbacks taken is `Og==`, ':').
The finding points at the key argument or header value, names the sink, shows only the start of
the secret, and gives where the constant is written.

## Why is this bad?
Anything in an app's code or manifest is in every copy of it: the repository, the deployed bundle,
a Custom UI page anyone can open. A published signing key lets anyone mint tokens the app trusts; a
published API key or password gives its holder the account behind it, and it cannot be rotated
without a release.

## Example
```js
import jwt from 'jsonwebtoken';
const SIGNING_KEY = 'sk_live_7f3a9c1e5b';
export const sessionToken = (accountId) => jwt.sign({ sub: accountId }, SIGNING_KEY);
```

## How to fix
Keep secrets out of code: set them with `forge variables set --encrypt NAME` and read
`process.env.NAME`, or keep them in Forge secret storage (`kvs.setSecret`/`kvs.getSecret`). In the
manifest, let the provider configuration hold the client secret (`forge providers configure`)
instead of writing it into `actions`. Rotate any key that was ever committed.
"""

from __future__ import annotations

from auditor.report.paths import relative_path
from rules.base import Rule, entry_point_ids


CODE_FIX = "read it from process.env (forge variables set --encrypt) or Forge secret storage, and rotate it"
MANIFEST_FIX = "keep it out of the manifest (`forge providers configure` stores the client secret) or use a {{…}} template, and rotate it"


def check(facts):
    for secret in facts.literal_secrets:
        written = secret.literal != secret.sink
        elsewhere = written and (secret.literal.path, secret.literal.region.start_line) != \
            (secret.sink.path, secret.sink.region.start_line)
        notes = [f"written at {_place(facts, secret.literal)}"] if elsewhere else []
        if secret.also_read:
            notes.append("the value can also be one read at run time: the literal is a fallback or another caller's")
        message = f"hard-coded secret {secret.preview} is {secret.what}" + (f" ({'; '.join(notes)})" if notes else "")
        message += "; " + (MANIFEST_FIX if facts.manifest is not None and secret.sink.path == facts.manifest.path
                           else CODE_FIX)
        flows = [[secret.literal.with_message(f"literal {secret.preview}"),
                  secret.sink.with_message(f"used as {secret.what}")]] if written else []
        yield RULE.finding(
            message, secret.sink,
            related=[secret.literal.with_message("the literal")] if written else [],
            code_flows=flows,
            properties={"sink": secret.what, "alsoReadAtRunTime": secret.also_read,
                        "entryPoints": entry_point_ids(facts, secret.node, secret.sink.path, secret.functions)},
        )


def _place(facts, location) -> str:
    path = relative_path(location.path, facts.app.root) or location.path.name
    return f"{path}:{location.region.start_line}" if location.region else path


RULE = Rule(
    id="secret/hardcoded", name="HardcodedSecret", level="error",
    summary="Secret written into the app's code or manifest",
    doc=__doc__, cwe=(798,), precision="high", security_severity=7.5, check=check,
)
