"""Reports Atlassian API tokens (and organization container tokens) sent instead of Forge's managed auth.

## What it does
Flags each request that sends an `Authorization` header starting `Basic ` or `Bearer ` (a literal, a
concatenation or a template; through header objects kept in variables, module constants,
spreads and `new Headers(…)`):

* on a product request (`api.asApp().requestJira(…)`, `asUser()`, `requestConfluence`,
  `requestBitbucket`, …), or
* on a `fetch` or an `axios` request (`axios.get|post|put|patch|delete|request(…)`, `axios(…)`; the
  URL also read through the callers of a wrapper that takes it as a parameter) to an Atlassian
  host: `*.atlassian.net`, `*.atlassian.com` (`api.atlassian.com`
  included) or `api.bitbucket.org`, also when a leading label of the host is built at run time
  (`https://${site}.atlassian.net`), or when the whole host is (a site URL from settings) and the
  path is one only Atlassian's products serve (`/rest/api/…`, `/rest/agile/…`,
  `/rest/servicedeskapi/…`, `/wiki/rest/api/…`, `/wiki/api/v2/…`, `/gateway/api/…`). Look-alikes
  (`acme.atlassian.net.example.com`) are not Atlassian hosts, and any other URL whose host cannot
  be read is not reported.

Whatever the token's source (a literal, `process.env`, secret storage), the request authenticates
as the person or organization the token belongs to. A `Bearer` token to an organization admin path
(`/admin/…`, SCIM, `/users/{id}/manage`) is an organization's admin API key (a container token);
the message says so. One finding per request call site.

## Why is this bad?
Forge signs product requests itself, with the app's or the current user's identity and the scopes
the admin granted at install. An API token bypasses all of that: every installation acts as the one
account that created the token, with all of its permissions on its sites, across tenants; the
permissions shown at install understate what the app can do; and a leaked token stays valid
until someone revokes it. An organization admin key controls every user and product of the
organization.

## Example
```js
const auth = Buffer.from(`${email}:${process.env.JIRA_TOKEN}`).toString('base64');
await fetch('https://acme.atlassian.net/rest/api/3/search', {
  headers: { Authorization: `Basic ${auth}` },
});
```

## How to fix
Call the product through Forge, `api.asUser()` (or `api.asApp()`) with a `route` template path,
declare the scopes the call needs, and drop the header. For organization administration, use an
admin flow outside the app rather than shipping an admin key in it.
"""

from __future__ import annotations

from rules.base import Rule, entry_point_ids


def check(facts):
    for header in facts.token_headers:
        what = ("an organization admin API key (a container token) sent as a Bearer token"
                if header.admin else f"an API token sent with {header.scheme} auth")
        message = (f"{header.target} authenticates with {what} instead of Forge's managed auth: it acts as the "
                   "token's owner on every installation, beyond the scopes granted at install; call the product "
                   "through api.asApp()/asUser() instead")
        yield RULE.finding(
            message, header.location,
            related=[header.header.with_message(f"Authorization: {header.scheme} …")],
            code_flows=[[header.header.with_message(f"Authorization header ({header.scheme})"),
                         header.location.with_message(f"sent by {header.target}")]],
            properties={"scheme": header.scheme, "containerToken": header.admin,
                        "entryPoints": entry_point_ids(facts, header.node, header.location.path)},
        )


RULE = Rule(
    id="auth/api-token", name="AtlassianApiToken", level="error",
    summary="Atlassian API or container token used instead of Forge auth",
    doc=__doc__, cwe=(522,), precision="high", security_severity=8.0, check=check,
)
