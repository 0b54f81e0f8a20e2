"""`.forge-audit.yml`: which rules run, what fails the build, what is skipped.

```yaml
rules:
  disable: [scope/privileged]   # or `enable: [...]` to run only those
fail-on: warning                # error (default) | warning | note | none
exclude: ["static/legacy/*"]    # fnmatch globs (`*` also matches `/`), added to the defaults
max-file-size: 2MB              # bytes, or a number with KB/MB; default 5MB
allow-incomplete: false         # true: an incomplete scan exits 0/1 like a complete one, not 2
resources:                      # resource key -> folder of its frontend source, relative to the app
  main: ../frontend/src         # folder (for a resource path naming a build folder not in the repository)
```
Command-line flags win over the file. Any mistake in the file is a usage
error (exit 2): a config that silently does nothing is worse than none.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import yaml

from auditor.loader import DEFAULT_EXCLUDES, DEFAULT_MAX_FILE_SIZE, LoadOptions
from auditor.model import LEVEL_RANK
from auditor.safe_read import Unreadable, read_file
from rules.registry import RULES_BY_ID
from rules.suggest import Suggester

CONFIG_NAME = ".forge-audit.yml"
MAX_CONFIG_SIZE = 1024 * 1024
_KEYS = ("rules", "fail-on", "exclude", "max-file-size", "allow-incomplete", "resources")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "kb": 1024, "kib": 1024, "mb": 1024**2, "mib": 1024**2, "gb": 1024**3, "gib": 1024**3}


class ConfigError(Exception):
    pass


class Config(NamedTuple):
    enable: frozenset[str] | None = None
    disable: frozenset[str] = frozenset()
    fail_on: str = "error"
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    allow_incomplete: bool = False
    resources: tuple[tuple[str, str], ...] = ()
    source: Path | None = None

    def rule_enabled(self, rule_id: str) -> bool:
        if rule_id in self.disable:
            return False
        return self.enable is None or rule_id in self.enable

    def load_options(self) -> LoadOptions:
        return LoadOptions(max_file_size=self.max_file_size, exclude=DEFAULT_EXCLUDES + self.exclude,
                           resources=self.resources)

    def override(self, **changes) -> Config:
        return self._replace(**{k: v for k, v in changes.items() if v is not None})


def parse_size(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{where}: '{value}' is not a size (examples: 5000000, 512KB, 5MB)")
    unit = match.group(2).lower() if match.group(2) else None
    return int(float(match.group(1)) * _UNITS[unit])


def check_rule_ids(ids: list, where: str) -> frozenset[str]:
    for rule_id in ids:
        if rule_id not in RULES_BY_ID:
            hint = Suggester(RULES_BY_ID).hint(str(rule_id), "; run 'forge-audit rules' for the list")
            raise ConfigError(f"{where}: unknown rule '{rule_id}'{hint}")
    return frozenset(ids)


def check_level(value: object, where: str) -> str:
    if value not in LEVEL_RANK:
        raise ConfigError(f"{where}: '{value}' must be one of error, warning, note, none")
    return str(value)


def load_config(path: Path) -> Config:
    where = str(path)
    try:  # found in the scanned repository: read it as carefully as its code
        data = yaml.safe_load(read_file(path, path.parent, MAX_CONFIG_SIZE).decode("utf-8"))
    except Unreadable as exc:
        raise ConfigError(f"{where}: not read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from None
    if data is None:
        return Config(source=path)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a mapping with keys {', '.join(_KEYS)}")
    for key in data:
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'" + Suggester(_KEYS).hint(str(key)))
    config = Config(source=path)
    rules = data.get("rules") or {}
    if not isinstance(rules, dict) or set(rules) - {"enable", "disable"}:
        raise ConfigError(f"{where}: 'rules' must be a mapping with 'enable' and/or 'disable' lists")
    for key in ("enable", "disable"):
        if key in rules and not isinstance(rules[key], list):
            raise ConfigError(f"{where}: rules.{key} must be a list of rule ids")
    if "enable" in rules:
        config = config._replace(enable=check_rule_ids(rules["enable"], f"{where}: rules.enable"))
    if "disable" in rules:
        config = config._replace(disable=check_rule_ids(rules["disable"], f"{where}: rules.disable"))
    if "fail-on" in data:
        config = config._replace(fail_on=check_level(data["fail-on"], f"{where}: fail-on"))
    if "exclude" in data:
        exclude = data["exclude"]
        if not isinstance(exclude, list) or not all(isinstance(g, str) for g in exclude):
            raise ConfigError(f"{where}: exclude must be a list of glob strings")
        config = config._replace(exclude=tuple(exclude))
    if "max-file-size" in data:
        config = config._replace(max_file_size=parse_size(data["max-file-size"], f"{where}: max-file-size"))
    if "allow-incomplete" in data:
        if not isinstance(data["allow-incomplete"], bool):
            raise ConfigError(f"{where}: allow-incomplete must be true or false")
        config = config._replace(allow_incomplete=data["allow-incomplete"])
    if "resources" in data:
        config = config._replace(resources=check_resources(data["resources"], f"{where}: resources"))
    return config


def check_resources(value: object, where: str) -> tuple[tuple[str, str], ...]:
    """`{key: folder}`: each folder relative (to the app folder), inside no installed package."""
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where} must map resource keys to source folders, e.g. {{main: ../frontend/src}}")
    for key, folder in value.items():
        if not isinstance(key, str) or not isinstance(folder, str) or not folder.strip():
            raise ConfigError(f"{where}: '{key}' must name a folder (a string), e.g. {key}: ../frontend/src")
        if Path(folder).is_absolute() or folder.startswith("~"):
            raise ConfigError(f"{where}: '{key}': {folder} must be relative to the app folder")
        if "node_modules" in Path(folder).parts:
            raise ConfigError(f"{where}: '{key}': {folder} is an installed package, not the app's source")
    return tuple(sorted(value.items()))


def find_config(paths: list[Path]) -> Path | None:
    """`.forge-audit.yml` in the current directory, else beside the first scanned folder."""
    candidates = [Path.cwd() / CONFIG_NAME]
    if paths:
        first = paths[0] if paths[0].is_dir() else paths[0].parent
        candidates.append(first / CONFIG_NAME)
    return next((c for c in candidates if c.is_file()), None)
