"""A hostile repository must not reach the host, and an incomplete scan must never pass a CI gate.

Exit code 2 when an app's analysis failed or a file an entry point reaches was not fully analysed (skipped,
excluded, partly parsed), with the report still written; --allow-incomplete gives back 0/1. Gaps no entry
point reaches stay warnings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import Config
from auditor.engine import scan
from auditor.report import text as text_report
from auditor.safe_read import Unreadable, read_file
from tests.conftest import GOOD_CODE, MANIFEST

MISSING = GOOD_CODE.format(suffix="/comment", options=", { method: 'POST' }")
# Hangs (a FIFO read, /dev/zero read to the end) must fail the test, not stall the suite.
HANG_GUARD = 60


@pytest.fixture(autouse=True)
def hang_guard():
    """In-process scans too: a read that blocks (a FIFO) is interrupted and fails the test."""
    def expire(signum, frame):
        raise TimeoutError(f"no answer within {HANG_GUARD} s: something blocked or read without end")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(HANG_GUARD)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def cli(*args: str):
    return CliRunner().invoke(main, ["scan", "--no-config", *args])


def cli_subprocess(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", "scan", "--no-config", *args],
                          capture_output=True, text=True, timeout=HANG_GUARD)


def notes(result, name: str):
    return [n for n in result.notifications if n.path is not None and n.path.name == name]


def rules_found(result) -> set[tuple[str, str]]:
    return {(f.rule_id, f.location.path.name) for f in result.reported()}


def report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# -- the safe reader ----------------------------------------------------------

def test_read_file_reads_a_regular_file_up_to_the_limit(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_bytes(b"x" * 10)
    assert read_file(tmp_path / "a.js", tmp_path, 10) == b"x" * 10
    with pytest.raises(Unreadable, match=r"file is 10 bytes, over the 9-byte limit \(raise max-file-size"):
        read_file(tmp_path / "a.js", tmp_path, 9)


def test_read_file_refuses_special_files_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.js")
    with pytest.raises(Unreadable, match=r"^not a regular file \(FIFO\)$"):
        read_file(tmp_path / "fifo.js", tmp_path, 100)
    with pytest.raises(Unreadable, match=r"^not a regular file \(character device\)$"):
        read_file(Path("/dev/zero"), Path("/dev"), 100)
    (tmp_path / "dir.js").mkdir()
    with pytest.raises(Unreadable, match="not a regular file"):
        read_file(tmp_path / "dir.js", tmp_path, 100)


def test_read_file_refuses_symlinks_leaving_the_root_without_naming_the_target(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "leak.js")
    os.symlink("/dev/zero", root / "zero.js")
    for name in ("leak.js", "zero.js"):
        with pytest.raises(Unreadable) as caught:
            read_file(root / name, root, 100)
        assert str(caught.value) == "symlink points outside the app"
    os.symlink("inside.js", root / "alias.js")
    (root / "inside.js").write_text("ok")
    assert read_file(root / "alias.js", root, 100) == b"ok"


def test_read_file_reports_symlink_loops_and_dangling_links(tmp_path: Path) -> None:
    os.symlink("b.js", tmp_path / "a.js")
    os.symlink("a.js", tmp_path / "b.js")
    os.symlink("self.js", tmp_path / "self.js")
    os.symlink("gone.js", tmp_path / "dangling.js")
    for name in ("a.js", "self.js"):
        with pytest.raises(Unreadable, match="^symlink loop$"):
            read_file(tmp_path / name, tmp_path, 100)
    with pytest.raises(Unreadable, match="^cannot read file: No such file or directory$"):
        read_file(tmp_path / "dangling.js", tmp_path, 100)


# -- symlink loops ------------------------------------------------------------

def test_symlink_loop_nothing_reaches_is_a_warning_and_the_app_still_reports(make_app) -> None:
    app = make_app({"src/index.js": MISSING})
    os.symlink("b.js", app / "src" / "a.js")
    os.symlink("a.js", app / "src" / "b.js")
    result = scan([app], Config(), app)
    assert ("scope/missing", "index.js") in rules_found(result)
    assert [n.message for n in notes(result, "a.js")] == ["skipped: symlink loop"]
    assert not result.incomplete
    assert cli(str(app)).exit_code == 1


def test_symlink_loop_on_the_handler_makes_the_scan_incomplete(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": None, "src/other.js": "export const x = 1;\n"}, name="looped")
    os.symlink("index2.js", app / "src" / "index.js")
    os.symlink("index.js", app / "src" / "index2.js")
    good = make_app({"src/index.js": MISSING}, name="good")
    out = tmp_path / "report.json"
    run = cli(str(tmp_path), "--format", "json", "--output", str(out), "--source-root", str(tmp_path))
    assert run.exit_code == 2, run.output
    doc = report(out)
    assert ("scope/missing", "good/src/index.js") in {(f["rule"], f["path"]) for f in doc["findings"]}
    blocking = [n for n in doc["notifications"] if n["blocking"]]
    assert [(n["path"], n["level"]) for n in blocking] == [("looped/src/index.js", "error")]
    assert "symlink loop" in blocking[0]["message"] and "function 'main' reaches this file" in blocking[0]["message"]
    assert doc["executionSuccessful"] is False
    assert good in [tmp_path / a for a in doc["apps"]]


def test_symlink_loop_on_the_manifest_writes_the_report_and_exits_2(make_app, tmp_path: Path) -> None:
    app = make_app({"manifest.yml": None})
    os.symlink("other.yml", app / "manifest.yml")
    os.symlink("manifest.yml", app / "other.yml")
    for fmt in ("text", "json", "sarif"):
        out = tmp_path / f"report.{fmt}"
        run = cli(str(app), "--format", fmt, "--output", str(out), "--source-root", str(app))
        assert run.exit_code == 2, run.output
        assert "Traceback" not in run.output and out.stat().st_size > 0
    assert "skipped: symlink loop (the app cannot be analysed without its manifest" in (tmp_path / "report.text").read_text()
    sarif = report(tmp_path / "report.sarif")["runs"][0]["invocations"][0]
    assert sarif["executionSuccessful"] is False
    note = sarif["toolExecutionNotifications"][0]
    assert note["level"] == "error" and "symlink loop" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "manifest.yml", "uriBaseId": "%SRCROOT%"}


# -- excluded handler ---------------------------------------------------------

def test_exclude_glob_matching_the_handler_is_incomplete(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": MISSING})
    run = cli(str(app), "--exclude", "src/index.js", "--format", "json")
    assert run.exit_code == 2
    blocking = [n for n in json.loads(run.stdout)["notifications"] if n["blocking"]]
    assert [n["message"] for n in blocking] == [
        "not analysed: excluded by 'src/index.js' (function 'main' reaches this file: the scan is incomplete)"]
    assert cli(str(app), "--exclude", "src/index.js", "--allow-incomplete").exit_code == 0


def test_exclude_in_the_config_file_matching_the_handler_is_incomplete(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": MISSING})
    config = tmp_path / "forge-audit.yml"
    config.write_text('exclude: ["src/*"]\n')
    run = CliRunner().invoke(main, ["scan", str(app), "--config", str(config)])
    assert run.exit_code == 2
    assert "not analysed: excluded by 'src/*'" in run.output
    config.write_text('exclude: ["src/*"]\nallow-incomplete: true\n')
    assert CliRunner().invoke(main, ["scan", str(app), "--config", str(config)]).exit_code == 0


def test_excluded_file_the_handler_imports_is_incomplete_and_an_unreached_one_is_not(make_app) -> None:
    handler = "import { helper } from './lib/helper';\n" + MISSING
    app = make_app({"src/index.js": handler, "src/lib/helper.js": "export const helper = 1;\n",
                    "src/legacy/old.js": "export const old = 1;\n"})
    assert cli(str(app), "--exclude", "src/legacy/*").exit_code == 1
    run = cli(str(app), "--exclude", "*/lib")
    assert run.exit_code == 2
    assert "src/lib/helper.js" in run.output and "not analysed: excluded by '*/lib'" in run.output


# -- NUL bytes ----------------------------------------------------------------

def test_nul_bytes_in_comments_and_strings_are_analysed(make_app) -> None:
    code = MISSING.replace("return res.json();", "return res.json() + 'a\0b' + `c\0d`; // e\0f\n  /* g\0h */")
    app = make_app({"src/index.js": code})
    result = scan([app], Config(), app)
    assert ("scope/missing", "index.js") in rules_found(result)
    assert notes(result, "index.js") == [] and result.successful
    assert cli(str(app)).exit_code == 1


def test_nul_byte_in_code_is_a_syntax_problem_and_blocks_when_reached(make_app) -> None:
    app = make_app({"src/index.js": MISSING + "export const x = 1;\0\n"})
    result = scan([app], Config(), app)
    assert ("scope/missing", "index.js") in rules_found(result)
    [note] = notes(result, "index.js")
    assert note.message.startswith("NUL byte outside comments and strings") and note.blocking
    assert note.region.start_line == 6
    assert cli(str(app)).exit_code == 2


def test_binary_files_are_still_skipped(make_app) -> None:
    utf16 = "export const x = 1;\n".encode("utf-16-le")  # valid UTF-8 bytes, half of them NUL
    app = make_app({"src/index.js": MISSING, "src/a.js": utf16, "src/b.js": bytes(range(256)) * 4})
    result = scan([app], Config(), app)
    assert [n.message for n in notes(result, "a.js") + notes(result, "b.js")] == ["skipped: binary file"] * 2
    assert not result.incomplete


# -- size limit, symlinks from outside ----------------------------------------

def test_handler_over_the_size_limit_is_incomplete(make_app) -> None:
    app = make_app({"src/index.js": MISSING + "// pad\n" * 400, "src/other.js": "// pad\n" * 400})
    run = cli(str(app), "--max-file-size", "1KB")
    assert run.exit_code == 2
    assert "over the 1,024-byte limit" in run.output
    assert cli(str(app), "--max-file-size", "1KB", "--allow-incomplete").exit_code == 0
    app.joinpath("src/index.js").write_text(MISSING)
    result = scan([app], Config(max_file_size=1024), app)
    assert [n.blocking for n in notes(result, "other.js")] == [False]


def test_handler_symlinked_from_outside_the_app_is_incomplete(make_app, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "index.js").write_text(MISSING)
    app = make_app({"src/index.js": None, "src/other.js": "export const x = 1;\n"})
    os.symlink(shared / "index.js", app / "src" / "index.js")
    out = tmp_path / "report.json"
    run = cli(str(app), "--format", "json", "--output", str(out))
    assert run.exit_code == 2
    doc = report(out)
    [note] = [n for n in doc["notifications"] if n["blocking"]]
    assert note["message"].startswith("skipped: symlink points outside the app")
    assert str(tmp_path) not in json.dumps(doc["notifications"][0]["message"])
    assert not [f for f in doc["findings"] if f["rule"] == "manifest/invalid"]  # the handler file is there


def test_import_through_a_symlinked_folder_outside_the_app_is_incomplete(make_app, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "util.js").write_text("export const util = 1;\n")
    app = make_app({"src/index.js": "import { util } from './lib/util';\n" + MISSING})
    os.symlink(shared, app / "src" / "lib")
    result = scan([app], Config(), app)
    [note] = result.incomplete
    assert note.path == app / "src" / "lib" / "util.js"
    assert note.message.startswith("not analysed: it lies in the skipped folder src/lib")


def test_transitive_import_of_a_skipped_file_is_incomplete(make_app) -> None:
    app = make_app({"src/index.js": "import './a';\n" + GOOD_CODE.format(suffix="", options=""),
                    "src/a.js": "require('./b.js');\n", "src/b.js": MISSING + "// pad\n" * 400})
    result = scan([app], Config(max_file_size=1024), app)
    assert [n.path.name for n in result.incomplete] == ["b.js"]


def test_without_a_resolvable_handler_every_backend_file_counts(make_app) -> None:
    manifest = MANIFEST.replace("      handler: index.handler\n", "      handler: nowhere.handler\n") + \
        "resources:\n  - key: ui\n    path: static/ui\n"
    app = make_app({"manifest.yml": manifest, "src/index.js": MISSING + "// pad\n" * 400,
                    "static/ui/app.js": "// pad\n" * 400})
    result = scan([app], Config(max_file_size=1024), app)
    by_file = {n.path.name: n for n in result.notifications if n.path is not None and n.path.suffix == ".js"}
    assert by_file["index.js"].blocking and "no handler file could be resolved" in by_file["index.js"].message
    assert not by_file["app.js"].blocking  # Custom UI code: no entry point runs it on the backend


# -- syntax errors --------------------------------------------------------------

def test_syntax_error_that_swallows_a_call_is_incomplete(make_app) -> None:
    code = MISSING.replace("  const res", "  const x = <div>;\n  const res")
    app = make_app({"src/index.js": code})
    result = scan([app], Config(), app)
    assert ("scope/missing", "index.js") not in rules_found(result)  # what error recovery hides
    [note] = result.incomplete
    assert note.message.startswith("syntax errors") and note.path.name == "index.js"
    assert cli(str(app)).exit_code == 2
    assert cli(str(app), "--allow-incomplete").exit_code == 0


def test_syntax_error_in_a_file_nothing_reaches_is_a_warning(make_app) -> None:
    app = make_app({"src/index.js": MISSING, "src/unused.js": "const x = <div>;\n"})
    result = scan([app], Config(), app)
    assert [n.level for n in notes(result, "unused.js")] == ["warning"] and not result.incomplete
    assert cli(str(app)).exit_code == 1


# -- suppressions only in comments --------------------------------------------

def test_suppression_text_in_a_string_literal_suppresses_nothing(make_app) -> None:
    code = MISSING.replace("{ method: 'POST' }", "{ method: 'POST', note: '// forge-audit-ignore scope/missing: x' }")
    code += "const t = `\n// forge-audit-ignore scope/unused: y\n`;\n"
    app = make_app({"src/index.js": code})
    result = scan([app], Config(), app)
    assert ("scope/missing", "index.js") in rules_found(result)
    assert result.findings and all(f.suppression is None for f in result.findings)
    assert not any(f.rule_id.startswith("suppression/") for f in result.findings)


def test_suppressions_in_js_comments_still_work(make_app) -> None:
    code = MISSING.replace("  const res", "  /* forge-audit-ignore scope/missing: admin only */\n  const res")
    app = make_app({"src/index.js": code})
    result = scan([app], Config(), app)
    [suppressed] = [f for f in result.findings if f.suppression is not None]
    assert suppressed.rule_id == "scope/missing" and suppressed.suppression.reason == "admin only"


def test_yaml_suppression_only_in_a_comment_not_in_a_quoted_scalar(make_app) -> None:
    # ws:// entries: Forge accepts them (http:// ones are manifest/invalid), egress/insecure-http reports them
    planted = {
        # a " #" inside a quoted scalar on the finding's line
        "same line": '      backend: ["ws://a.example.com", "https://b.example.com/x '
                     '# forge-audit-ignore egress/insecure-http: planted"]\n',
        # a line of a multi-line quoted scalar, right above the finding
        "line above": '      backend:\n        - "https://b.example.com/x\n'
                      '          # forge-audit-ignore egress/insecure-http: planted"\n        - ws://a.example.com\n',
        # a block scalar's content is data too
        "block scalar": '      backend:\n        - |\n          # forge-audit-ignore egress/insecure-http: planted\n'
                        '        - ws://a.example.com\n',
    }
    for shape, backend in planted.items():
        app = make_app({"manifest.yml": MANIFEST + "  external:\n    fetch:\n" + backend}, name=shape.replace(" ", "-"))
        result = scan([app], Config(), app)
        insecure = [f for f in result.findings if f.rule_id == "egress/insecure-http"]
        assert len(insecure) == 1 and insecure[0].suppression is None, shape
        assert not [f for f in result.findings if f.rule_id.startswith("suppression/")], shape

    app = make_app({"manifest.yml": MANIFEST + "  external:\n    fetch:\n      backend:\n"
                    "        - ws://a.example.com  # forge-audit-ignore egress/insecure-http: internal proxy\n"},
                   name="comment")
    result = scan([app], Config(), app)
    assert [f.suppression.reason for f in result.findings if f.rule_id == "egress/insecure-http"] == ["internal proxy"]


# -- FIFOs and devices ----------------------------------------------------------

def test_fifo_and_dev_zero_code_files_finish_promptly(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": MISSING})
    os.mkfifo(app / "src" / "x.js")
    os.symlink("/dev/zero", app / "src" / "zero.js")
    out = tmp_path / "report.json"
    run = cli_subprocess(str(app), "--format", "json", "--output", str(out))
    assert run.returncode == 1, run.stderr
    messages = {n["path"].rsplit("/", 1)[-1]: n["message"] for n in report(out)["notifications"]}
    assert messages == {"x.js": "skipped: not a regular file (FIFO)", "zero.js": "skipped: symlink points outside the app"}


def test_fifo_handler_and_fifo_manifest_are_incomplete(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": None, "src/other.js": "export const x = 1;\n"}, name="fifo-handler")
    os.mkfifo(app / "src" / "index.js")
    other = make_app({"manifest.yml": None}, name="fifo-manifest")
    os.mkfifo(other / "manifest.yml")
    out = tmp_path / "report.txt"
    run = cli_subprocess(str(tmp_path), "--output", str(out))
    assert run.returncode == 2, run.stderr
    text = out.read_text()
    assert "fifo-handler/src/index.js: skipped: not a regular file (FIFO) (function 'main' reaches" in text
    assert "fifo-manifest/manifest.yml: skipped: not a regular file (FIFO) (the app cannot be analysed" in text
    assert "INCOMPLETE: 2 problem(s)" in text


# -- internal errors, exit 2 over exit 1, paths in messages -----------------------

def test_an_app_whose_analysis_raises_exits_2_with_the_report_written(make_app, tmp_path: Path, monkeypatch) -> None:
    import auditor.engine as engine

    bad = make_app(name="bad")
    make_app({"src/index.js": MISSING}, name="good")
    real = engine.build_facts

    def flaky(app, **options):
        if app.root == bad:
            raise RuntimeError(f"boom in {bad / 'src' / 'index.js'}")
        return real(app, **options)

    monkeypatch.setattr(engine, "build_facts", flaky)
    out = tmp_path / "report.sarif"
    run = cli(str(tmp_path), "--format", "sarif", "--output", str(out))
    assert run.exit_code == 2  # wins over the good app's exit 1
    run_doc = report(out)["runs"][0]
    assert {r["ruleId"] for r in run_doc["results"]} >= {"scope/missing"}
    [note] = run_doc["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == ("internal error while analysing this app, its findings are missing: "
                                       "RuntimeError: boom in src/index.js")
    assert cli(str(tmp_path), "--allow-incomplete").exit_code == 1


def test_a_rule_that_raises_makes_the_scan_incomplete(make_app, monkeypatch) -> None:
    import auditor.engine as engine

    def boom(facts):
        raise ValueError("rule bug")

    monkeypatch.setattr(engine, "ALL_RULES", [r._replace(check=boom) if r.id == "egress/wildcard" else r
                                              for r in engine.ALL_RULES])
    app = make_app()
    result = scan([app], Config(), app)
    assert [n.message for n in result.incomplete] == ["rule egress/wildcard failed: ValueError: rule bug"]


def test_no_absolute_host_paths_in_notification_messages(make_app, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.js").write_text(MISSING)
    app = make_app({"src/big.js": "// pad\n" * 400})
    os.symlink(outside / "x.js", app / "src" / "leak.js")
    os.symlink(outside, app / "src" / "dir")
    os.symlink("loop.js", app / "src" / "loop.js")
    os.mkfifo(app / "src" / "fifo.js")
    result = scan([app], Config(max_file_size=1024), app)
    assert len(result.notifications) == 5
    for note in result.notifications:
        assert str(tmp_path) not in note.message and "/dev" not in note.message


def test_allow_incomplete_in_the_config_is_validated(make_app, tmp_path: Path) -> None:
    config = tmp_path / "c.yml"
    config.write_text('allow-incomplete: "yes"\n')
    run = CliRunner().invoke(main, ["scan", str(make_app()), "--config", str(config)])
    assert run.exit_code == 2 and "allow-incomplete must be true or false" in run.output
    config.write_text("allow-incompete: true\n")
    run = CliRunner().invoke(main, ["scan", str(make_app()), "--config", str(config)])
    assert run.exit_code == 2 and "did you mean 'allow-incomplete'" in run.output


# -- terminal injection ---------------------------------------------------------

def test_text_report_escapes_control_characters_from_the_repository(make_app) -> None:
    title = "\x1b]0;pwned\x07"
    fake = "\n0 findings in 1 app\n"
    call_line = MISSING.splitlines()[2]
    code = MISSING.replace(call_line, call_line + " /* \x1b[2J\x1b[H\u202e */ // forge-audit-ignore scope/missing: ok\x1b[8m")
    # the handler imports both (JSON string syntax is JavaScript's: the names travel escaped)
    imports = "".join(f"import {json.dumps(name)};\n" for name in (f"./{title}.js", f"./a{fake}b.js"))
    app = make_app({f"src/{title}.js": MISSING, f"src/a{fake}b.js": MISSING, "src/index.js": code + imports})
    out = text_report.render(scan([app], Config(), app), show_suppressed=True)
    for raw in ("\x1b]", "\x07", "\x1b[2J", "\x1b[H", "\x1b[8m", "\u202e"):
        assert raw not in out
    assert "\\x1b]0;pwned\\x07.js:3:21" in out
    assert "a\\n0 findings in 1 app\\nb.js:3:21" in out
    assert "[suppressed: ok\\x1b[8m]" in out
    snippet = next(line for line in out.splitlines() if "\\x1b[2J" in line)
    caret = out.splitlines()[out.splitlines().index(snippet) + 1]
    assert snippet.index("api.asApp") == caret.index("^")
    assert not any(line.startswith("0 findings") for line in out.splitlines())


def test_import_through_a_symlinked_folder_inside_the_app_is_complete(make_app) -> None:
    app = make_app({"src/index.js": "import { util } from './lib/util';\n" + MISSING,
                    "shared/util.js": "export const util = 1;\n"})
    os.symlink("../shared", app / "src" / "lib")
    result = scan([app], Config(), app)
    assert result.notifications == [] and not result.incomplete


# -- the config file is repository content too ------------------------------------

def test_config_file_is_read_safely(make_app, tmp_path: Path) -> None:
    app = make_app({"src/index.js": MISSING})
    secret = tmp_path / "secret.yml"
    secret.write_text("password: hunter2\nnot yaml: [\n")
    os.symlink(secret, app / ".forge-audit.yml")
    run = CliRunner().invoke(main, ["scan", str(app)])
    assert run.exit_code == 2
    assert "not read: symlink points outside the app" in run.output and "hunter2" not in run.output
    os.unlink(app / ".forge-audit.yml")
    os.mkfifo(app / ".forge-audit.yml")
    run = CliRunner().invoke(main, ["scan", str(app), "--config", str(app / ".forge-audit.yml")])
    assert run.exit_code == 2 and "not read: not a regular file (FIFO)" in run.output


def test_config_errors_are_escaped_on_the_terminal(make_app) -> None:
    app = make_app()
    (app / ".forge-audit.yml").write_text("\"\\e]0;pwned\\a\": true\n")
    run = CliRunner().invoke(main, ["scan", str(app), "--config", str(app / ".forge-audit.yml")])
    assert run.exit_code == 2
    assert "unknown key '\\x1b]0;pwned\\x07'" in run.output and "\x1b" not in run.output


def test_relative_import_of_an_installed_package_is_not_a_gap(make_app) -> None:
    app = make_app({"src/index.js": "const lib = require('../node_modules/lib/index.js');\n" + MISSING,
                    "node_modules/lib/index.js": "module.exports = {};\n"})
    result = scan([app], Config(), app)
    assert result.notifications == []
