"""Hostile and broken input: never a crash or a hang, and findings elsewhere survive."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.config import Config
from auditor.engine import scan
from tests.conftest import GOOD_CODE, MANIFEST

MISSING_SCOPE_CALL = GOOD_CODE.format(suffix="/comment", options=", { method: 'POST' }")


def run(app: Path, **config):
    result = scan([app], Config(**config), app)
    return result, [(f.rule_id, f.location.path.name, f.location.region.start_line) for f in result.reported()]


def notes_for(result, name: str) -> list[str]:
    return [n.message for n in result.notifications if n.path is not None and n.path.name == name]


def test_broken_yaml_is_a_finding_and_other_apps_still_report(make_app) -> None:
    broken = make_app({"manifest.yml": "app:\n  id: [unclosed\nmodules: {}\n"}, name="broken")
    good = make_app({"src/index.js": MISSING_SCOPE_CALL}, name="good")
    result = scan([broken.parent], Config(), broken.parent)
    by_app = {(f.rule_id, f.location.path.parent.name) for f in result.reported()}
    assert ("manifest/invalid", "broken") in by_app
    assert ("scope/missing", "src") in by_app and len(result.apps) == 2
    invalid = next(f for f in result.reported() if f.rule_id == "manifest/invalid")
    assert "YAML syntax error" in invalid.message and invalid.location.region.start_line in (2, 3)
    assert good in result.apps


def test_alias_bomb_is_refused_quickly(make_app) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    app = make_app({"manifest.yml": "\n".join(lines) + "\napp: *a8\n"})
    result, found = run(app)
    messages = [f.message for f in result.reported() if f.rule_id == "manifest/invalid"]
    assert any("alias bomb" in m for m in messages), messages


def test_recursive_alias_is_refused(make_app) -> None:
    app = make_app({"manifest.yml": "app: &loop\n  self: *loop\n"})
    result, _ = run(app)
    assert any("recursive" in f.message for f in result.reported())


def test_duplicate_key_names_both_lines(make_app) -> None:
    app = make_app({"manifest.yml": MANIFEST + "permissions:\n  scopes: []\n"})
    result, found = run(app)
    invalid = [f for f in result.reported() if f.rule_id == "manifest/invalid"]
    assert len(invalid) == 1
    assert "duplicate key 'permissions'" in invalid[0].message and "line 9" in invalid[0].message
    assert invalid[0].location.region.start_line == 12


def test_tab_indentation_is_reported_with_position(make_app) -> None:
    app = make_app({"manifest.yml": "app:\n\tid: x\n"})
    result, found = run(app)
    assert found == [("manifest/invalid", "manifest.yml", 2)]


def test_non_utf8_manifest(make_app) -> None:
    app = make_app({"manifest.yml": MANIFEST.encode() + b"# caf\xe9\n"})
    result, found = run(app)
    assert found == [("manifest/invalid", "manifest.yml", 12)]
    assert "not valid UTF-8" in result.reported()[0].message


def test_binary_js_is_skipped_and_the_good_file_still_reports(make_app) -> None:
    app = make_app({"src/index.js": MISSING_SCOPE_CALL, "src/vendor.js": bytes(range(256)) * 4})
    result, found = run(app)
    assert ("scope/missing", "index.js", 3) in found
    assert any("binary" in m for m in notes_for(result, "vendor.js"))
    assert not result.successful


def test_two_megabyte_single_line_is_scanned(make_app) -> None:
    filler = "var x = " + "1+" * 1_000_000 + "1;"
    call = "require('@forge/api').default.asApp().requestJira(require('@forge/api').route`/rest/api/3/myself`);"
    app = make_app({"src/big.js": filler + call + "\n", "src/index.js": MISSING_SCOPE_CALL + "import './big.js';\n"})
    result, found = run(app)
    assert ("scope/missing", "big.js", 1) in found
    column = next(f for f in result.reported() if f.location.path.name == "big.js").location.region.start_column
    assert column == len(filler) + 1
    assert result.successful


def test_files_over_the_size_limit_are_skipped_with_a_notification(make_app) -> None:
    app = make_app({"src/index.js": MISSING_SCOPE_CALL, "src/huge.js": "// pad\n" * 200_000})
    result, found = run(app, max_file_size=1_000_000)
    assert ("scope/missing", "index.js", 3) in found
    assert any("over the 1,000,000-byte limit" in m for m in notes_for(result, "huge.js"))


def test_syntax_error_file_keeps_its_valid_parts_and_neighbours(make_app) -> None:
    broken = "import api, { route } from '@forge/api';\n" \
             "const broken = ;;; {{{\n" \
             "export const b = () => api.asApp().requestJira(route`/rest/api/3/myself`);\n"
    app = make_app({"src/index.js": MISSING_SCOPE_CALL + "import { b } from './broken.js';\n", "src/broken.js": broken})
    result, found = run(app)
    assert ("scope/missing", "index.js", 3) in found
    assert ("scope/missing", "broken.js", 3) in found
    assert any("syntax errors" in m and "line 2" in m for m in notes_for(result, "broken.js"))


def test_non_utf8_code_is_decoded_with_replacement(make_app) -> None:
    app = make_app({"src/index.js": MISSING_SCOPE_CALL.encode() + b"// \xff\xfe\n"})
    result, found = run(app)
    assert ("scope/missing", "index.js", 3) in found
    assert any("not valid UTF-8" in m for m in notes_for(result, "index.js"))


def test_missing_handler_file(make_app) -> None:
    app = make_app({"src/index.js": None, "src/other.js": "export const x = 1;\n"})
    result, found = run(app)
    # the scope is then unused too: nothing that runs needs it
    assert found == [("manifest/invalid", "manifest.yml", 8), ("scope/unused", "manifest.yml", 11)]
    assert "no file src/index" in result.reported()[0].message


def test_symlink_outside_the_app_is_not_followed(make_app, tmp_path: Path) -> None:
    outside = tmp_path / "outside.js"
    outside.write_text(MISSING_SCOPE_CALL, encoding="utf-8")
    app = make_app()
    os.symlink(outside, app / "src" / "linked.js")
    (tmp_path / "outside_dir").mkdir()
    (tmp_path / "outside_dir" / "x.js").write_text(MISSING_SCOPE_CALL, encoding="utf-8")
    os.symlink(tmp_path / "outside_dir", app / "src" / "linked_dir")
    result, found = run(app)
    assert found == []
    assert any("outside the app" in m for m in notes_for(result, "linked.js"))
    assert any("outside the app" in m for m in notes_for(result, "linked_dir"))


def test_empty_manifest(make_app) -> None:
    app = make_app({"manifest.yml": ""})
    result, found = run(app)
    assert found == [("manifest/invalid", "manifest.yml", 1)]


def test_manifest_over_the_size_limit(make_app) -> None:
    app = make_app({"manifest.yml": MANIFEST + "#" * 3000 + "\n"})
    result, found = run(app, max_file_size=2000)
    assert found == [("manifest/invalid", "manifest.yml", 1)]
    assert any("over the 2,000-byte limit" in m for m in notes_for(result, "manifest.yml"))
    assert not result.successful


def test_manifest_symlinked_from_outside_is_not_read(make_app, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text(MANIFEST, encoding="utf-8")
    app = make_app({"manifest.yml": None})
    os.symlink(secret, app / "manifest.yml")
    result, found = run(app)
    assert found == [("manifest/invalid", "manifest.yml", 1)]
    assert "outside the app" in result.reported()[0].message


def test_deeply_nested_yaml(make_app) -> None:
    lines = ["app:"] + [" " * (i + 1) + f"k{i}:" for i in range(800)]
    app = make_app({"manifest.yml": "\n".join(lines) + " 1\n"})
    result, found = run(app)
    assert found == [("manifest/invalid", "manifest.yml", 66)]
    assert "nests more than 64 levels" in result.reported()[0].message


def test_deeply_nested_code_does_not_crash(make_app) -> None:
    depth = 5000
    code = GOOD_CODE.format(suffix="/comment", options=", { method: 'POST' }") + \
        "const deep = " + "(" * depth + "1" + ")" * depth + ";\n" + \
        "const nested = " + "[" * depth + "]" * depth + ";\n" + \
        "function f() {" * 2000 + "}" * 2000 + "\n"
    app = make_app({"src/index.js": code})
    result, found = run(app)
    assert ("scope/missing", "index.js", 3) in found


def test_an_app_that_breaks_analysis_does_not_hide_other_apps(make_app, monkeypatch) -> None:
    import auditor.engine as engine

    bad = make_app(name="bad")
    make_app({"src/index.js": MISSING_SCOPE_CALL}, name="good")
    real = engine.build_facts

    def flaky(app, **options):
        if app.root == bad:
            raise RuntimeError("boom")
        return real(app, **options)

    monkeypatch.setattr(engine, "build_facts", flaky)
    result = scan([bad.parent], Config(), bad.parent)
    assert sorted((f.rule_id, f.location.path.relative_to(bad.parent).parts[0]) for f in result.reported()) == [
        ("scope/missing", "good"), ("scope/unused", "good")]
    assert not result.successful
    assert any("internal error" in n.message and "boom" in n.message for n in result.notifications)
