"""A small issue-panel app in two versions, for the baseline and diff-aware scan tests.

BASE already has one tenant leak (``watchersByIssue``). CHANGE moves it down (a comment and a constant above it),
adds a second leak (``projectCache``) and declares a scope nothing uses (``write:jira-work``).
"""

from __future__ import annotations

MANIFEST = """\
modules:
  jira:issuePanel:
    - key: sprint-notes-panel
      resource: main
      resolver:
        function: resolver
      render: native
      title: Sprint notes
  function:
    - key: resolver
      handler: index.handler
resources:
  - key: main
    path: src/frontend/index.jsx
permissions:
  scopes:
    - read:jira-work
app:
  runtime:
    name: nodejs22.x
  id: ari:cloud:ecosystem::app/5d0c2f8e-7b1a-4e63-9c2d-8f4b6a1e3c57
"""

FRONTEND = """\
import React, { useEffect, useState } from 'react';
import ForgeReconciler, { Text } from '@forge/react';
import { invoke } from '@forge/bridge';

const App = () => {
  const [watchers, setWatchers] = useState(null);
  useEffect(() => {
    invoke('getWatchers').then(setWatchers);
  }, []);
  return <Text>{watchers ? `${watchers.length} watching` : 'Loading...'}</Text>;
};

ForgeReconciler.render(<App />);
"""

ISSUE_RESOLVER = """\
const resolver = new Resolver();
const watchersByIssue = {};

resolver.define('getWatchers', async ({ context }) => {
  const { key } = context.extension.issue;
  const cached = watchersByIssue[key];
  if (cached) return cached;
  const res = await api.asUser().requestJira(route`/rest/api/3/issue/${key}/watchers`);
  watchersByIssue[key] = (await res.json()).watchers;
  return watchersByIssue[key];
});
"""

IMPORTS = "import Resolver from '@forge/resolver';\nimport api, { route } from '@forge/api';\n\n"
EXPORT = "\nexport const handler = resolver.getDefinitions();\n"

BASE = {
    "manifest.yml": MANIFEST,
    "src/frontend/index.jsx": FRONTEND,
    "src/index.js": IMPORTS + ISSUE_RESOLVER + EXPORT,
}

PROJECT_RESOLVER = """
const projectCache = new Map();

resolver.define('getProject', async ({ context }) => {
  const projectKey = context.extension.project.key;
  if (!projectCache.has(projectKey)) {
    const res = await api.asUser().requestJira(route`/rest/api/3/project/${projectKey}`);
    projectCache.set(projectKey, await res.json());
  }
  return { project: projectCache.get(projectKey), fields: FIELDS };
});
"""

CHANGE = {
    "manifest.yml": MANIFEST.replace("    - read:jira-work\n", "    - read:jira-work\n    - write:jira-work\n"),
    "src/frontend/index.jsx": FRONTEND,
    "src/index.js": (IMPORTS + "// Fields the panel shows; keep in sync with the frontend.\n"
                     "const FIELDS = ['summary', 'status'];\n\n" + ISSUE_RESOLVER + PROJECT_RESOLVER + EXPORT),
}

# (rule, file, line) of each finding of CHANGE against BASE: where the old leak moved, and what was added (the
# added scope is also a permission site admins must approve)
CHANGE_FINDINGS = {("tenant/global-state", "src/index.js", 8): "unchanged",
                   ("tenant/global-state", "src/index.js", 19): "new",
                   ("scope/unused", "manifest.yml", 18): "new",
                   ("consent/scope-change", "manifest.yml", 18): "new"}
