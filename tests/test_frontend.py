"""Custom UI code outside the resource path (found or named in .forge-audit.yml), and deployed code only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import Config, ConfigError, load_config
from auditor.engine import scan
from tests.conftest import MANIFEST, write_app

RESOURCE = MANIFEST.replace("modules:\n", "modules:\n  jira:issuePanel:\n    - key: panel\n      resource: main\n"
                                          "      title: Panel\n      icon: https://x.example.com/i.svg\n") + \
    "resources:\n  - key: main\n    path: {path}\n"
HANDLER = "export const handler = async () => ({ ok: true });\n"
BRIDGE_CALL = "import {{ requestJira }} from '@forge/bridge';\nexport const me = () => requestJira('{path}');\n"
NEEDS_USER = BRIDGE_CALL.format(path="/rest/api/3/myself")  # read:jira-user: not declared by MANIFEST


def repo(tmp_path: Path, files: dict[str, str], path: str = "static/main/build") -> Path:
    """A repository (with .git) holding the app in app/; returns the app folder."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    base = {"app/manifest.yml": RESOURCE.format(path=path), "app/src/index.js": HANDLER}
    write_app(tmp_path / "repo", {**base, **files})
    return tmp_path / "repo" / "app"


def missing_scope_files(result) -> set[str]:
    return {os.path.relpath(f.location.path, result.apps[0]) for f in result.findings if f.rule_id == "scope/missing"}


def test_git_ignored_build_is_replaced_by_its_source(tmp_path: Path) -> None:
    app = repo(tmp_path, {
        ".gitignore": "node_modules/\n**/build/\n",
        "app/static/main/build/bundle.js": NEEDS_USER,  # a local build: not in the repository
        "app/static/main/src/App.js": NEEDS_USER,
        "app/static/main/package.json": '{"dependencies": {"@forge/bridge": "4.5.0"}}',
    })
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == {"static/main/src/App.js"}
    assert any("frontend code read from static/main (static/main/build is git-ignored)" in n.message
               for n in result.notifications)


def test_a_committed_build_is_read_as_before(tmp_path: Path) -> None:
    app = repo(tmp_path, {"app/static/main/build/bundle.js": NEEDS_USER})
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == {"static/main/build/bundle.js"}
    assert not any("frontend code read from" in n.message for n in result.notifications)


def test_named_source_folder_in_config(tmp_path: Path) -> None:
    app = repo(tmp_path, {"web-client/src/App.js": NEEDS_USER, "web-client/src/other.js": HANDLER})
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == set()  # web-client is no conventional name: not found
    assert any("no frontend project building it was found" in n.message for n in result.notifications)
    config = Config(resources=(("main", "../web-client/src"),))
    result = scan([app], config, app)
    assert missing_scope_files(result) == {"../web-client/src/App.js"}
    config_file = _config(tmp_path, "main: ../web-client/src")
    out = CliRunner().invoke(main, ["scan", str(app), "-v", "--config", str(config_file)])
    assert "resource 'main': frontend code read from ../web-client/src (named in .forge-audit.yml)" in out.output


def _config(tmp_path: Path, resources: str) -> Path:
    path = tmp_path / "cfg" / ".forge-audit.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"resources:\n  {resources}\n")
    return path


@pytest.mark.parametrize("resources,message", [
    ("main: /etc", "must be relative to the app folder"),
    ("main: 3", "must name a folder"),
    ("main: ../ui/node_modules/x", "installed package"),
])
def test_config_resources_are_validated(tmp_path: Path, resources: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, resources))


def test_config_resources_that_lead_nowhere_block_the_scan(tmp_path: Path) -> None:
    app = repo(tmp_path, {"frontend/src/App.js": NEEDS_USER})
    for resources, message in ((("main", "../nowhere"),), "../nowhere is not a folder"), \
                              ((("main", "../../.."),), "lies outside the repository"), \
                              ((("main", ".."),), "holds the app folder itself"), \
                              ((("mian", "../frontend/src"),), "'mian' is not a resource of this app"):
        result = scan([app], Config(resources=resources), app)
        assert any(message in n.message for n in result.incomplete), message


def test_the_search_stays_in_the_repository(tmp_path: Path) -> None:
    # without .git, the scanned path bounds it: a frontend beside the scanned app folder is not used
    write_app(tmp_path, {"app/manifest.yml": RESOURCE.format(path="../frontend/build"), "app/src/index.js": HANDLER,
                         "frontend/src/App.js": NEEDS_USER, "frontend/package.json": '{"name": "@forge/bridge-ui"}'})
    app = tmp_path / "app"
    assert missing_scope_files(scan([app], Config(), app)) == set()
    result = scan([tmp_path], Config(), tmp_path)
    assert missing_scope_files(result) == {"../frontend/src/App.js"}


def test_a_symlinked_source_folder_leaving_the_repository_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write_app(outside, {"src/App.js": NEEDS_USER, "package.json": '{"dependencies": {"@forge/bridge": "4"}}'})
    app = repo(tmp_path, {}, path="../frontend/build")
    (tmp_path / "repo" / "frontend").symlink_to(outside, target_is_directory=True)
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == set()
    result = scan([app], Config(resources=(("main", "../frontend"),)), app)
    assert any("lies outside the repository" in n.message for n in result.incomplete)


def test_several_candidate_projects_are_not_guessed(tmp_path: Path) -> None:
    bridge = '{"dependencies": {"@forge/bridge": "4"}}'
    app = repo(tmp_path, {"frontend/src/App.js": NEEDS_USER, "frontend/package.json": bridge,
                          "ui/src/App.js": NEEDS_USER, "ui/package.json": bridge}, path="../dist")
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == set()
    assert any("several frontend projects could build it (../frontend, ../ui)" in n.message
               for n in result.notifications)


# -- deployed code only -----------------------------------------------------------

E2E = "import api, { route } from '@forge/api';\n" \
      "export const seed = () => api.asApp().requestJira(route`/rest/api/3/myself`);\n"


def test_files_nothing_deployed_imports_need_no_scope(tmp_path: Path) -> None:
    app = repo(tmp_path, {"app/e2e/login.e2e.js": E2E, "app/scripts/seed.js": E2E,
                          "app/static/main/src/App.js": NEEDS_USER, "app/static/main/src/App.stories.js": NEEDS_USER,
                          "app/static/main/vite.config.js": NEEDS_USER})
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == {"static/main/src/App.js"}
    out = CliRunner().invoke(main, ["scan", str(app), "-v", "--no-config"])
    listed = [line.rsplit(": ", 1)[1] for line in out.output.splitlines() if "not deployed" in line]
    assert listed == ["e2e/login.e2e.js", "scripts/seed.js", "static/main/src/App.stories.js",
                      "static/main/vite.config.js"]


def test_an_unresolvable_handler_makes_every_file_count(tmp_path: Path) -> None:
    app = repo(tmp_path, {"app/scripts/seed.js": E2E})
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == set()
    (app / "src" / "index.js").unlink()  # handler index.handler: no file
    (app / "src" / "main.js").write_text(HANDLER)
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == {"scripts/seed.js"}


def test_a_module_loaded_by_a_computed_name_makes_every_file_count(tmp_path: Path) -> None:
    dynamic = "export const handler = async ({ task }) => (await import(`./tasks/${task}.js`)).run();\n"
    app = repo(tmp_path, {"app/src/index.js": dynamic, "app/src/tasks/seed.js": E2E})
    assert missing_scope_files(scan([app], Config(), app)) == {"src/tasks/seed.js"}


def test_ui_kit_entries_and_bundle_sources_are_deployed(tmp_path: Path) -> None:
    from auditor.facts import build_facts
    from auditor.loader import LoadOptions, load_app

    ui_kit = "import React from 'react';\nimport { Panel } from './components/Panel';\nexport default Panel;\n"
    app = repo(tmp_path, {
        "app/src/frontend/index.jsx": ui_kit,  # the resource's entry file: what it imports is bundled
        "app/src/frontend/components/Panel.jsx": "export const Panel = () => null;\n",
        # the source of a committed bundle: it imports @forge/bridge, App.jsx imports it
        "app/web/App.jsx": "import { load } from './api';\nexport const App = () => load();\n",
        "app/web/api.js": NEEDS_USER.replace("export const me", "export const load"),
        "app/web/Button.stories.jsx": "import { App } from './App';\nexport default { component: App };\n",
        "app/tools/cleanup.js": E2E,
    }, path="src/frontend/index.jsx")
    facts = build_facts(load_app(app, LoadOptions()))
    assert [p.relative_to(app).as_posix() for p in facts.not_deployed] == ["tools/cleanup.js", "web/Button.stories.jsx"]


def test_default_excludes_apply_to_a_frontend_outside_the_app(tmp_path: Path) -> None:
    app = repo(tmp_path, {"frontend/package.json": '{"dependencies": {"@forge/bridge": "4"}}',
                          "frontend/src/App.js": BRIDGE_CALL.format(path="/rest/api/3/project/recent"),
                          "frontend/src/App.test.js": NEEDS_USER, "frontend/src/__mocks__/bridge.js": NEEDS_USER},
               path="../frontend/build")
    result = scan([app], Config(), app)
    assert missing_scope_files(result) == set()
    assert not any("App.test.js" in str(n.path) for n in result.notifications)


def test_tooling_folders_count_at_a_project_root_only(tmp_path: Path) -> None:
    from auditor.facts import build_facts
    from auditor.loader import LoadOptions, load_app

    app = repo(tmp_path, {"app/static/main/package.json": "{}", "app/static/main/src/App.js": NEEDS_USER,
                          "app/static/main/scripts/release.js": NEEDS_USER,
                          "web/src/tools/format.js": NEEDS_USER, "web/src/App.js": NEEDS_USER})
    facts = build_facts(load_app(app, LoadOptions()))
    assert [p.relative_to(app).as_posix() for p in facts.not_deployed] == ["static/main/scripts/release.js"]
    # a source folder named in the config: its tools/ is app code
    facts = build_facts(load_app(app, LoadOptions(resources=(("main", "../web/src"),))))
    assert "tools/format.js" in {p.relative_to(app.parent / "web/src").as_posix()
                                 for p in {s.path for s in facts.app.sources} - set(facts.not_deployed)
                                 if "web" in p.parts}
