"""The `forge-audit` command line.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it
(against a baseline, new ones);
2 usage or configuration error, a scan that could not run, or an incomplete
scan (an app's analysis failed, or a file an entry point reaches was not fully
analysed) unless --allow-incomplete. 2 wins over 1: a gate must not pass, or
fail for the wrong reason, on a partial picture.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor import __version__
from auditor.config import Config, ConfigError, check_level, check_rule_ids, find_config, load_config, parse_size
from auditor.engine import NoAppsFound, scan
from auditor.model import LEVEL_RANK
from auditor.report.paths import display_path, source_root_for
from auditor.report.terminal import printable
from rules.registry import ALL_RULES, RULES_BY_ID

if TYPE_CHECKING:
    from auditor.baseline import Baseline

# --format value -> module of auditor.report with its render(result, show_suppressed)
REPORT_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "github": "github", "junit": "junit"}
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forge-audit")
def main() -> None:
    """Security auditor for Atlassian Forge apps.

    Finds module-level state that leaks one tenant's data to another (and
    confirms it by replay with --confirm), OAuth scopes the code needs but the
    manifest lacks (and the other way round), risky egress and CSP settings,
    invalid manifests and deprecated runtimes; secrets written into the code or
    manifest and Atlassian API tokens sent instead of Forge's auth; and what
    callers can make the app do: asApp() calls no authorization check guards,
    web triggers that do not verify their requests, caller-chosen API routes and
    storage keys, eval of caller data, prototype pollution. Works offline;
    reports as text, JSON, SARIF 2.1.0, GitHub Actions annotations or JUnit XML.
    """


@main.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(REPORT_MODULES)), default="text", show_default=True,
              help="Report format: text, JSON, SARIF 2.1.0, GitHub Actions annotations (workflow commands) or "
                   "JUnit XML (one test case per rule and app).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "none"]),
              help="Lowest finding level that makes the exit code 1.  [default: error]")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Config file.  [default: .forge-audit.yml in the working directory or the first PATH]")
@click.option("--no-config", is_flag=True, help="Ignore any .forge-audit.yml.")
@click.option("--enable", "enable", multiple=True, metavar="RULE",
              help="Run only these rules (repeatable).")
@click.option("--disable", "disable", multiple=True, metavar="RULE", help="Do not run this rule (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip files matching GLOB, relative to the app or scanned folder (repeatable).")
@click.option("--max-file-size", metavar="SIZE",
              help="Skip code files larger than SIZE (e.g. 5MB, 800KB).  [default: 5MB]")
@click.option("--allow-incomplete", is_flag=True,
              help="Exit 0/1 by the findings even when the scan is incomplete (an app's analysis failed, or a file "
                   "an entry point reaches was skipped, excluded or partly parsed) instead of 2.")
@click.option("--show-suppressed", is_flag=True, help="Also report findings silenced by forge-audit-ignore.")
@click.option("-v", "--verbose", is_flag=True,
              help="On standard error, per app: the code files nothing deployed runs (tests, scripts, tooling no "
                   "manifest entry reaches: their calls need no scope) and the folder each Custom UI resource's "
                   "code was read from when it is not the resource path. In the JSON report, every entry point in "
                   "finding properties (otherwise the first 20 of each list and its count).")
@click.option("--source-root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder SARIF URIs are relative to.  [default: the enclosing git work tree, else the working directory]")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), metavar="REPORT",
              help="An earlier SARIF or JSON report of forge-audit: each finding is marked new or unchanged, the "
                   "report's findings that are gone are listed as absent, and only new findings count for "
                   "--fail-on.")
@click.option("--diff-base", metavar="REF",
              help="Use the apps as they were at git revision REF (e.g. origin/main, a commit) as the baseline: "
                   "only findings the change adds are new.")
@click.option("--confirm", is_flag=True,
              help="Replay each tenant/global-state leak and code/prototype-pollution finding for two tenants in V8 "
                   "isolates to confirm it.")
@click.option("--replay-timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds per replayed call (with --confirm).")
@click.option("--replay-memory", type=click.IntRange(min=16), default=256, show_default=True,
              help="Heap limit in MB per isolate (with --confirm).")
@click.option("--replay-budget", type=click.FloatRange(min=0), default=300.0, show_default=True, metavar="SECONDS",
              help="Seconds of replay for the whole scan; each finding gets a share of what is left (with --confirm).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes analysing apps at once when PATHS hold 4 apps or more (a monorepo); an app "
                   "with 128 KB of backend code or more has its module-state analysis split between two. "
                   "The report is the same as with 1. Not with --confirm.  [default: the number of CPUs]")
def scan_command(paths, fmt, output, fail_on, config_path, no_config, enable, disable, exclude, max_file_size,
                 allow_incomplete, show_suppressed, verbose, source_root, baseline_path, diff_base, confirm,
                 replay_timeout, replay_memory, replay_budget, jobs) -> None:
    """Scan the Forge apps under PATHS (default: the current directory).

    Every manifest.yml found (outside node_modules and .git) is an app; its
    JS/TS code is read from the app folder, Custom UI resources included (and,
    when a resource's build folder is not in the repository, the frontend
    project building it). Only deployed code needs scopes: files no manifest
    handler reaches (tests, scripts, tooling) raise no scope/missing.

    Exit codes: 0 no finding at or above --fail-on, 1 findings (with a
    baseline: new findings), 2 usage or configuration error, or an incomplete
    scan (a file an entry point reaches was skipped, excluded or partly
    parsed, or an app's analysis failed; the report is still written).
    """
    paths = list(paths) or [Path(".")]
    try:
        config = _config(paths, config_path, no_config)
        config = config.override(
            fail_on=check_level(fail_on, "--fail-on") if fail_on else None,
            enable=check_rule_ids(list(enable), "--enable") if enable else None,
            disable=(config.disable | check_rule_ids(list(disable), "--disable")) if disable else None,
            exclude=(config.exclude + tuple(exclude)) if exclude else None,
            max_file_size=parse_size(max_file_size, "--max-file-size") if max_file_size else None,
            allow_incomplete=allow_incomplete or None,
        )
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    root = (source_root or source_root_for(paths)).resolve()
    baseline = _baseline(baseline_path, diff_base, paths, config, root)
    limits = None
    if confirm:
        from runtime_harness.replay import Limits

        limits = Limits(memory_bytes=replay_memory * 1024 * 1024, call_timeout=replay_timeout, budget=replay_budget)
    with _collector_paused(unless=confirm):
        try:
            result = scan(paths, config, root, confirm=limits, jobs=jobs or _cpus())
        except NoAppsFound as exc:
            _fail(f"{exc}: nothing to scan")
        except Exception:  # never report "clean" after a crash
            _crashed("the scan did not complete")
        if baseline is not None:
            from auditor.baseline import compare

            compare(result, baseline)
        # only the JSON report lists every entry point (--verbose); the others stay within upload limits
        report = _renderer(fmt)(result, show_suppressed, **({"full_lists": verbose} if fmt == "json" else {}))
    if verbose:
        _print_inventory(result)
    if output:
        output.write_text(click.unstyle(report), encoding="utf-8")
        click.echo(f"forge-audit: wrote {fmt} report to {output}", err=True)
    else:
        click.echo(report, nl=False, color=None if fmt == "text" else False)
    if result.incomplete and not config.allow_incomplete:
        click.echo(f"forge-audit: incomplete scan ({len(result.incomplete)} problem(s), see the report's "
                   "notifications): exit code 2", err=True)
        sys.exit(EXIT_INCOMPLETE)
    threshold = LEVEL_RANK[config.fail_on]
    failing = [f for f in result.gating() if threshold and LEVEL_RANK[f.level] >= threshold]
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _cpus() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def _collector_paused(unless: bool):
    """Python's cyclic garbage collector off for the static scan and its report: they allocate millions
    of objects and free few cycles, so the collector's passes (each over every object the scan holds)
    cost ~10 % of a large scan without lowering its peak memory. A replay (--confirm) runs long and
    keeps it."""
    paused = gc.isenabled() and not unless
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _print_inventory(result) -> None:
    """What was analysed beyond the findings: frontend folders used, files not deployed."""
    for app in result.apps:
        def shown(path: Path) -> str:
            return printable(os.path.relpath(path, app))
        name = printable(str(app))
        for key, (folder, why) in sorted(result.frontend_sources.get(app, {}).items()):
            click.echo(f"forge-audit: {name}: resource '{printable(key)}': frontend code read from "
                       f"{shown(folder)} ({printable(why)})", err=True)
        for path in result.not_deployed.get(app, []):
            click.echo(f"forge-audit: {name}: not deployed (nothing the manifest runs imports it): {shown(path)}",
                       err=True)


def _renderer(fmt: str):
    """Import only the reporter in use."""
    from importlib import import_module

    return import_module(f"auditor.report.{REPORT_MODULES[fmt]}").render


def _baseline(path: Path | None, ref: str | None, paths: list[Path], config: Config,
              root: Path) -> Baseline | None:
    """The baseline's findings, read before the scan so a broken baseline costs no scan time."""
    if path is not None and ref is not None:
        _fail("--baseline and --diff-base are two baselines: give one")
    if path is None and ref is None:
        return None
    # imported only when asked for: git plumbing and report parsing cost start-up time otherwise
    from auditor.baseline import BaselineError, at_revision, load_report
    from auditor.revision import RevisionError

    try:
        if path is not None:
            return load_report(path)
        if ref is not None:
            return at_revision(ref, paths, config, root)
    except (BaselineError, RevisionError) as exc:
        _fail(str(exc))
    except Exception:  # no gate result without the baseline asked for
        _crashed("the baseline could not be computed")
    return None


def _config(paths: list[Path], config_path: Path | None, no_config: bool) -> Config:
    if no_config:
        return Config()
    found = config_path or find_config(paths)
    return load_config(found) if found else Config()


def _fail(message: str) -> None:
    # Config errors quote the (repository's) config file: escape what would drive the terminal.
    click.echo(f"forge-audit: {printable(message)}", err=True)
    sys.exit(EXIT_USAGE)


def _crashed(what: str) -> None:
    """An unexpected exception: its traceback, then exit 2 (traceback is loaded only then)."""
    import traceback

    traceback.print_exc()
    _fail(f"internal error: {what}")


@main.command("replay")
@click.argument("app", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--function", "function_key", required=True, metavar="KEY", help="The function module's key.")
@click.option("--resolver", "resolver_key", metavar="KEY", help="A resolver.define key inside that function.")
@click.option("--payload", default="{}", show_default=True, metavar="JSON", help="The payload both tenants send.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="Seconds per call.")
def replay_command(app, function_key, resolver_key, payload, timeout) -> None:
    """Replay one entry point of APP for two tenants in V8 isolates and print a trace.

    Tenant A runs first, then tenant B with the same payload, in one shared isolate
    (today's process reuse) and again with a fresh isolate each. The trace shows the
    calls each made, what it returned and whose canary data it saw.
    """
    from auditor.facts import build_facts
    from auditor.loader import discover_apps, load_app
    from runtime_harness.replay import Limits, trace

    try:
        data = json.loads(payload)
    except ValueError as exc:
        _fail(f"--payload is not JSON: {exc}")
    roots = discover_apps([app], Config().load_options())
    if not roots:
        _fail(f"no manifest.yml found under {app}")
    facts = build_facts(load_app(roots[0], Config().load_options()))
    entry = f"resolver:{resolver_key}" if resolver_key else f"function:{function_key}"
    known = [e.id for e in facts.entries.entries if e.function_key == function_key]
    if entry not in known:
        _fail(f"no entry point {entry} in {roots[0]}; known: {', '.join(known) or 'none'}")
    try:
        report = trace(facts, entry, data, Limits(call_timeout=timeout))
        # the trace quotes what app code returned and sent: nothing of it may drive the terminal
        click.echo("".join(printable(line) + "\n" for line in report.split("\n")[:-1]), nl=False)
    except ValueError as exc:
        _fail(str(exc))


@main.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Write the edited manifests (atomically) instead of printing a diff.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Config file.  [default: .forge-audit.yml in the working directory or the first PATH]")
@click.option("--no-config", is_flag=True, help="Ignore any .forge-audit.yml.")
def fix_command(paths, write, config_path, no_config) -> None:
    """Remove unused scopes and add missing ones in the manifests under PATHS.

    Removes the scopes scope/unused reports at warning level and adds those
    scope/missing names, keeping comments, order, quoting and indentation of
    everything else. Prints a unified diff; --write applies it. Exit codes: 0
    done (or nothing to change), 2 a manifest that does not load or cannot be
    edited safely, or an incomplete scan (nothing is written then).
    """
    from auditor.fix import FixError, plan

    paths = list(paths) or [Path(".")]
    try:
        edits = plan(paths, _config(paths, config_path, no_config))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    except NoAppsFound as exc:
        _fail(f"{exc}: nothing to fix")
    except FixError as exc:
        _fail(str(exc))
    for edit in edits:
        name = display_path(edit.manifest)
        if write:
            try:
                edit.write()
            except OSError as exc:
                _fail(f"{name} not written: {exc.strerror or exc}")
            click.echo(f"forge-audit: {printable(name)}: removed {', '.join(edit.removed) or 'no scope'}; "
                       f"added {', '.join(edit.added) or 'no scope'}", err=True)
        else:
            click.echo("".join(printable(line) + "\n" for line in edit.diff(name)), nl=False)
    if not edits:
        click.echo("forge-audit: no scope to remove or add", err=True)


@main.command("rules")
def rules_command() -> None:
    """List the rules with their default level and summary."""
    width = max(len(rule.id) for rule in ALL_RULES)
    for rule in ALL_RULES:
        click.echo(f"{rule.id:<{width}}  {rule.level:<7}  {rule.summary}")


@main.command("explain")
@click.argument("rule_id", metavar="RULE")
def explain_command(rule_id: str) -> None:
    """Print the documentation of RULE (e.g. scope/unused)."""
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:
        try:
            check_rule_ids([rule_id], "explain")
        except ConfigError as exc:
            _fail(str(exc))
    click.echo(f"{rule.id} ({rule.level}, precision {rule.precision}, "
               f"{', '.join(rule.tags)})\n")
    click.echo(rule.help)
