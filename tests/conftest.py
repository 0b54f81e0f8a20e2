"""Shared helpers: building throwaway Forge apps on disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

VALID_ID = "ari:cloud:ecosystem::app/1c9e6b7a-2f4d-4c1e-9a51-0b6f2d3e4a10"
MANIFEST = f"""\
app:
  id: {VALID_ID}
  runtime:
    name: nodejs22.x
modules:
  function:
    - key: main
      handler: index.handler
permissions:
  scopes:
    - read:jira-work
"""
GOOD_CODE = """\
import api, {{ route }} from '@forge/api';
export const handler = async (event) => {{
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${{event.key}}{suffix}`{options});
  return res.json();
}};
"""


def write_app(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_app(tmp_path: Path):
    def make(files: dict[str, str | bytes] | None = None, name: str = "app") -> Path:
        base = {"manifest.yml": MANIFEST, "src/index.js": GOOD_CODE.format(suffix="", options="")}
        base.update(files or {})
        return write_app(tmp_path / name, {k: v for k, v in base.items() if v is not None})

    return make
