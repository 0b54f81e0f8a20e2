"""--format github (workflow-command annotations) and --format junit (JUnit XML for CI test reports)."""

from __future__ import annotations

import json

import xml.etree.ElementTree as ET
from pathlib import Path

from auditor.config import Config
from auditor.engine import scan
from auditor.report import github, junit
from rules.registry import ALL_RULES
from tests.test_cli import MISSING, NOTE_ONLY, invoke

# -- GitHub workflow commands ---------------------------------------------------------------------------------


def _unescape(text: str, prop: bool) -> str:
    """As the Actions runner unescapes (ActionCommand.Unescape*): the inverse of the escaping under test."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []) + [("%25", "%")]
    for escaped, raw in pairs:
        text = text.replace(escaped, raw)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command line parsed as the runner's ActionCommand.TryParseV2 does."""
    assert line.startswith("::"), line
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2:]
    command, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape(value, prop=True)
    return command, properties, _unescape(data, prop=False)


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_one_annotation_per_finding_with_repo_relative_file(make_app) -> None:
    app = make_app({"src/index.js": MISSING})
    result = scan([app], Config(), app.parent)
    out = github.render(result)
    commands = [parse_command(line) for line in out.splitlines()]
    assert len(commands) == len(result.reported()) == 2
    by_title = {props["title"]: (command, props, message) for command, props, message in commands}
    command, props, message = by_title["forge-audit scope/missing"]
    assert command == "error" and props["file"] == "app/src/index.js"
    assert (props["line"], props["col"]) == ("3", "21")
    assert message.startswith("POST /rest/api/3/issue/{issueIdOrKey}/comment needs write:jira-work")
    assert by_title["forge-audit scope/unused"][0] == "warning"


def test_note_level_is_a_notice(make_app) -> None:
    app = make_app({"manifest.yml": (make_app().joinpath("manifest.yml")).read_text().replace(
        "permissions:\n  scopes:\n    - read:jira-work\n", NOTE_ONLY)}, name="n")
    commands = [parse_command(line) for line in github.render(scan([app], Config(), app)).splitlines()]
    assert ("notice", "scope/privileged") in {(c, p["title"].split()[-1]) for c, p, _ in commands}


def _importing(name: str) -> str:
    """A handler file that imports ``src/<name>.js``: only deployed code raises scope findings."""
    return f"import {json.dumps('./' + name + '.js')};\nexport const handler = async () => ({{}});\n"


def test_hostile_file_names_cannot_forge_commands(make_app) -> None:
    name = "x,line=1::evil%0A\n::error file=fake.js::forged"
    app = make_app({f"src/{name}.js": MISSING, "src/index.js": _importing(name)})
    out = github.render(scan([app], Config(), app))
    lines = out.splitlines()
    assert all(line.startswith("::error ") or line.startswith("::warning ") for line in lines)
    assert not any("fake.js::forged" in line and line.startswith("::error file=fake.js") for line in lines)
    files = {parse_command(line)[1]["file"] for line in lines}
    assert f"src/{name}.js" in files  # the runner reads back the exact name


def test_cli_github_format_exit_code_unchanged(make_app) -> None:
    run = invoke("scan", str(make_app({"src/index.js": MISSING})), "--no-config", "--format", "github")
    assert run.exit_code == 1
    assert sorted(parse_command(line)[0] for line in run.output.splitlines()) == ["error", "warning"]


# -- JUnit XML ------------------------------------------------------------------------------------------------


def test_one_case_per_rule_and_app_failures_carry_findings(make_app) -> None:
    bad = make_app({"src/index.js": MISSING}, name="bad")
    clean = make_app(name="clean")
    result = scan([bad.parent], Config(), bad.parent)
    root = ET.fromstring(junit.render(result))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"bad", "clean"} and clean.name == "clean"
    for suite in suites.values():
        assert [c.get("name") for c in suite.findall("testcase")] == [rule.id for rule in ALL_RULES]
        assert {c.get("classname") for c in suite.findall("testcase")} == {suite.get("name")}
        assert suite.get("tests") == str(len(ALL_RULES))
    assert suites["clean"].get("failures") == "0" and not list(suites["clean"].iter("failure"))
    failed = {c.get("name"): c.find("failure") for c in suites["bad"].findall("testcase") if c.find("failure") is not None}
    assert set(failed) == {"scope/missing", "scope/unused"}
    assert failed["scope/missing"].get("type") == "error"
    assert failed["scope/missing"].get("message") == "1 finding of scope/missing"
    assert failed["scope/missing"].text.startswith(
        "bad/src/index.js:3:21: error: POST /rest/api/3/issue/{issueIdOrKey}/comment needs write:jira-work")
    assert root.get("tests") == str(2 * len(ALL_RULES)) and root.get("failures") == "2"


def test_junit_stays_well_formed_with_control_characters(make_app) -> None:
    name = "\x1b]0;pwned\x07<&>"
    app = make_app({f"src/{name}.js": MISSING, "src/index.js": _importing(name)})
    text = junit.render(scan([app], Config(), app))
    root = ET.fromstring(text)  # raises on characters XML 1.0 forbids
    failure = next(f for f in root.iter("failure") if "scope/missing" in f.get("message"))
    assert "src/\\x1b]0;pwned\\x07<&>.js:3:21" in failure.text
    assert "\x1b" not in text and "&lt;&amp;&gt;" in text


def test_incomplete_app_gets_an_error_case(make_app) -> None:
    app = make_app({"src/index.js": "export const handler = async ( => {\n"})
    result = scan([app], Config(), app)
    assert result.incomplete
    root = ET.fromstring(junit.render(result))
    case = next(c for c in root.iter("testcase") if c.get("name") == junit.ANALYSIS_CASE)
    assert case.find("error").get("type") == "incomplete" and "index.js" in case.find("error").text
    assert root.get("errors") == "1"


def test_cli_writes_junit_file(make_app, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    run = invoke("scan", str(make_app({"src/index.js": MISSING})), "--no-config", "--format", "junit", "-o", str(out))
    assert run.exit_code == 1
    assert ET.parse(out).getroot().get("failures") == "2"
