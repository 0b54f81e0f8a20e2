"""forge-audit fix: the manifest edits that act on scope/unused and scope/missing.

Scopes ``scope/unused`` reports at warning level are removed (a note means calls could not be resolved: the scope
may be needed); scopes ``scope/missing`` names are added, in the form the finding gives (granular when the
manifest already uses part of a granular set, else classic). The edit works on the manifest's text, line by
line, so comments, order, quoting, indentation and line ends of everything else stay as they were: an item line
is removed with its trailing comment, an added item copies the last item's indentation and quoting. A flow list
(``scopes: [a, b]``) is rewritten in place. An edit that would change what YAML anchors or aliases mean (an
anchored item used elsewhere, a scopes list that is an alias) is refused, as is the map form of
``permissions.scopes``. Every edit is checked by loading the result: it must declare exactly the expected scopes.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from auditor.config import Config
from auditor.engine import scan
from auditor.report.paths import app_of
from auditor.yamldoc import YamlDoc, YamlError, decode_yaml_bytes, load_yaml
from rules.scope_missing import RULE as MISSING
from rules.scope_unused import RULE as UNUSED

_ITEM = re.compile(r"^(?P<prefix>\s*-\s+)(?P<anchor>&\S+\s+)?(?P<value>[^#\r\n]*?)(?P<comment>\s+#.*)?(?P<end>\r?\n?)$")


class FixError(Exception):
    pass


@dataclass
class Edit:
    manifest: Path
    before: bytes
    after: bytes
    removed: list[str]
    added: list[str]

    def diff(self, name: str) -> list[str]:
        old = self.before.decode("utf-8-sig").splitlines()
        new = self.after.decode("utf-8-sig").splitlines()
        return list(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", lineterm=""))

    def write(self) -> None:
        """Atomically: a temporary file beside the manifest, then a rename over it."""
        mode = self.manifest.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=self.manifest.parent, prefix=".manifest.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(self.after)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.manifest)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def plan(paths: list[Path], config: Config) -> list[Edit]:
    """The edits for every app under ``paths``; FixError when an app's manifest cannot be edited safely."""
    result = scan(paths, config.override(enable=frozenset({UNUSED.id, MISSING.id})), Path.cwd())
    edits = []
    for root in result.apps:
        manifest = root / "manifest.yml"
        blocking = [n for n in result.incomplete if n.path is None or app_of(n.path, result.apps) == root]
        if blocking:
            raise FixError(f"{manifest}: the scan is incomplete ({blocking[0].message}); fix changes no scope "
                           "on a partial picture")
        findings = [f for f in result.reported() if app_of(f.location.path, result.apps) == root]
        remove = sorted({f.properties["scope"] for f in findings if f.rule_id == UNUSED.id and f.level == "warning"})
        add = sorted({s for f in findings if f.rule_id == MISSING.id for s in f.properties["missingScopes"]})
        data = result.contents.get(manifest)
        if data is None:
            raise FixError(f"{manifest} could not be read")
        text, doc = _load(manifest, data)  # a manifest that does not load is refused, edit or not
        if not remove and not add:
            continue
        if manifest.is_symlink():
            raise FixError(f"{manifest} is a symlink: fix writes only a regular manifest.yml")
        new_text = edit_scopes(text, doc, remove, add, manifest)
        _check(manifest, new_text, doc, remove, add)
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        edits.append(Edit(manifest, data, bom + new_text.encode("utf-8"), remove, add))
    return edits


def _load(manifest: Path, data: bytes) -> tuple[str, YamlDoc]:
    try:
        text = decode_yaml_bytes(data)
        return text, load_yaml(text)
    except YamlError as exc:
        raise FixError(f"{manifest} does not load ({exc}); fix edits only a manifest that loads") from None


def _declared(doc: YamlDoc) -> list[str]:
    scopes = doc.get(("permissions", "scopes"))
    return [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else []


def _check(manifest: Path, new_text: str, doc: YamlDoc, remove: list[str], add: list[str]) -> None:
    """The edited text must load and declare exactly the expected scopes; nothing is written otherwise."""
    expected = [s for s in _declared(doc) if s not in remove] + add
    try:
        got = _declared(load_yaml(new_text))
    except YamlError as exc:
        raise FixError(f"{manifest}: the edit would not load ({exc}); nothing changed") from None
    if sorted(got) != sorted(expected):
        raise FixError(f"{manifest}: the edit would declare {got}, not {expected}; nothing changed")


def edit_scopes(text: str, doc: YamlDoc, remove: list[str], add: list[str], manifest: Path) -> str:
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    scopes = doc.get(("permissions", "scopes"))
    if isinstance(scopes, dict):
        raise FixError(f"{manifest}: permissions.scopes is a map; fix edits the list form only")
    if scopes is None or scopes == []:
        return _new_list(lines, doc, add, newline, manifest)
    if not isinstance(scopes, list):
        raise FixError(f"{manifest}: permissions.scopes is not a list")
    key = doc.region(("permissions", "scopes"), key=True)
    key_line = lines[key.start_line - 1]
    after_key = key_line.split(":", 1)[1].strip() if ":" in key_line else ""
    if after_key.startswith("*"):
        raise FixError(f"{manifest}: permissions.scopes is an alias; edit the anchored list it refers to")
    if re.match(r"(&\S+\s+)?\[", after_key):
        lines[key.start_line - 1] = _flow(key_line, scopes, remove, add, manifest)
        return "".join(lines)
    return "".join(_block(lines, key.start_line - 1, scopes, remove, add, newline, text, manifest))


def _quoted(name: str, like: str) -> str:
    quote = like[0] if like[:1] in ("'", '"') else ""
    return f"{quote}{name}{quote}"


def _flow(line: str, scopes: list, remove: list[str], add: list[str], manifest: Path) -> str:
    """``scopes: [a, b]`` on one line, its items rewritten; the rest of the line kept."""
    start, end = line.index("["), line.find("]")
    if end == -1:
        raise FixError(f"{manifest}: a flow list of scopes over several lines; fix edits one-line lists only")
    raw = [item.strip() for item in line[start + 1:end].split(",") if item.strip()]
    if len(raw) != len(scopes):
        raise FixError(f"{manifest}: the flow list of scopes holds more than plain names")
    kept = [text for text, value in zip(raw, scopes) if value not in remove]
    like = raw[-1] if raw else ""
    items = kept + [_quoted(name, like) for name in add]
    pad = " " if line[start + 1:start + 2] == " " and items else ""
    return line[:start + 1] + pad + ", ".join(items) + pad + line[end:]


def _block(lines: list[str], key_index: int, scopes: list, remove: list[str], add: list[str], newline: str,
           text: str, manifest: Path) -> list[str]:
    """A block list: one item per line below the key; comments and blank lines between them stay."""
    key_indent = len(lines[key_index]) - len(lines[key_index].lstrip())
    items: list[int] = []
    for index in range(key_index + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(lines[index]) - len(lines[index].lstrip())
        if indent < key_indent or (indent == key_indent and not stripped.startswith("-")):
            break  # the next key
        if not stripped.startswith("-"):
            raise FixError(f"{manifest}: permissions.scopes holds items over several lines; fix edits one item "
                           "per line")
        items.append(index)
    if len(items) != len(scopes) or not all(_ITEM.match(lines[i]) for i in items):
        raise FixError(f"{manifest}: permissions.scopes holds more than one plain name per item")
    drop = set()
    for index, value in zip(items, scopes):
        if value in remove:
            anchor = _ITEM.match(lines[index]).group("anchor")
            if anchor and "*" + anchor.strip()[1:] in text:
                raise FixError(f"{manifest}: scope '{value}' is anchored ({anchor.strip()}) and used elsewhere; "
                               "remove it by hand")
            drop.add(index)
    last = _ITEM.match(lines[items[-1]])
    new = [f"{last.group('prefix')}{_quoted(name, last.group('value'))}{newline}" for name in add]
    out: list[str] = []
    for index, line in enumerate(lines):
        if index not in drop:
            out.append(line)
        if index == items[-1] and new:  # after the last item, removed or not
            if not out[-1].endswith("\n"):
                out[-1] += newline
            out += new
    if len(drop) == len(items) and not add:  # an empty list, not a null
        key_line = out[key_index]
        out[key_index] = key_line.replace(":", ": []", 1) if key_line.rstrip().endswith(":") else key_line
    return out


def _new_list(lines: list[str], doc: YamlDoc, add: list[str], newline: str, manifest: Path) -> str:
    """Scopes to add where the manifest declares none: under ``permissions`` or a new ``permissions`` section."""
    if not add:
        return "".join(lines)
    permissions = doc.get(("permissions",))
    if doc.get(("permissions", "scopes"), "absent") != "absent":  # `scopes:` null or []
        key = doc.region(("permissions", "scopes"), key=True)
        index = key.start_line - 1
        indent = " " * (key.start_column - 1)
        lines[index] = lines[index][:lines[index].index(":") + 1] + newline
        return "".join(lines[:index + 1] + [f"{indent}  - {name}{newline}" for name in add] + lines[index + 1:])
    if isinstance(permissions, dict):
        key = doc.region(("permissions",), key=True)
        indent = " " * (key.start_column - 1)
        block = [f"{indent}  scopes:{newline}"] + [f"{indent}    - {name}{newline}" for name in add]
        return "".join(lines[:key.start_line] + block + lines[key.start_line:])
    if permissions is not None:
        raise FixError(f"{manifest}: permissions is not a mapping")
    tail = "" if not lines or lines[-1].endswith("\n") else newline
    return "".join(lines) + tail + f"permissions:{newline}  scopes:{newline}" + "".join(
        f"    - {name}{newline}" for name in add)
