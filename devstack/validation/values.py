"""Check values files against the umbrella chart's schema and each subchart's, with file:line."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from devstack.validation.problems import shown_path
from devstack.validation.schema import Locator, schema_problems
from devstack.yamlfile import KeyPath, Problem, YamlDoc, load_yaml

SCHEMA_FILE = "values.schema.json"


@dataclass(frozen=True)
class ValuesSchema:
    """One chart's schema and default values; ``key`` is its section in the umbrella's values."""

    key: str | None
    validator: Validator
    defaults: YamlDoc


def values_files(chart: Path) -> list[Path]:
    """Return the chart's own values files: values.yaml first, then every values-*.yaml."""
    return sorted(chart.glob("values*.yaml"), key=lambda p: (p.name != "values.yaml", p.name))


def load_schemas(chart: Path, root: Path) -> tuple[list[ValuesSchema], list[Problem]]:
    """Load the umbrella's schema and defaults, then those of each dependency under charts/.

    Returns:
        The schemas (the umbrella's first), or no schemas and the problems that stopped loading them.
    """
    problems: list[Problem] = []
    schemas = []
    for key, directory in [(None, chart), *_subcharts(chart)]:
        loaded = _load_one(key, directory, root)
        if isinstance(loaded, Problem):
            problems.append(loaded)
        elif loaded is not None:
            schemas.append(loaded)
    return ([], problems) if problems else (schemas, [])


def check_values_file(schemas: list[ValuesSchema], path: Path, shown: str) -> list[Problem]:
    """Validate one values file, merged over the charts' defaults the way helm merges them."""
    loaded = load_yaml(path, shown)
    if isinstance(loaded, Problem):
        return [loaded]
    if loaded.data is not None and not isinstance(loaded.data, dict):
        return [Problem(shown, 1, "expected a mapping of values")]
    umbrella, *subcharts = schemas
    merged = merge(umbrella.defaults.data, loaded.data)
    sources = [(loaded, ()), (umbrella.defaults, ())]
    problems = loaded.duplicates + schema_problems(umbrella.validator, merged, _locator(sources))
    for sub in subcharts:
        key = str(sub.key)
        # A null in the umbrella's section deletes the subchart's default, so keep nulls until then.
        section = merge(_section(umbrella.defaults.data, key), _section(loaded.data, key), keep_nulls=True)
        if not isinstance(merged.get(key), dict) or section.get("enabled") is False:
            continue
        located = [*sources, (sub.defaults, (key,))]
        problems += schema_problems(
            sub.validator, merge(sub.defaults.data, section), _locator(located), prefix=(key,)
        )
    return problems


def merge(defaults: Any, overrides: Any, keep_nulls: bool = False) -> dict[str, Any]:
    """Merge values like helm: maps merge key by key, other values replace, null deletes the key.

    With ``keep_nulls`` a null replaces instead, so that it can still delete a default further down.
    """
    result = dict(defaults) if isinstance(defaults, dict) else {}
    for key, value in (overrides or {}).items():
        if value is None and not keep_nulls:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value, keep_nulls)
        else:
            result[key] = value
    return result


def _section(values: Any, key: str) -> dict[str, Any]:
    section = values.get(key) if isinstance(values, dict) else None
    return section if isinstance(section, dict) else {}


def _locator(sources: Sequence[tuple[YamlDoc, KeyPath]]) -> Locator:
    """Blame the first file (the checked one, then the defaults) that sets the path."""

    def locate(path: KeyPath, key: bool) -> tuple[str, int | None]:
        for doc, prefix in sources:
            if path[: len(prefix)] == prefix and doc.has(path[len(prefix) :]):
                return doc.file, doc.line(path[len(prefix) :], key)
        checked = sources[0][0]
        return checked.file, checked.line(path, key)

    return locate


def _subcharts(chart: Path) -> Iterator[tuple[str, Path]]:
    meta = load_yaml(chart / "Chart.yaml", "Chart.yaml")
    if isinstance(meta, Problem) or not isinstance(meta.data, dict):
        return  # helm dependency list / template report an unreadable Chart.yaml
    dependencies = meta.data.get("dependencies")
    for dependency in dependencies if isinstance(dependencies, list) else []:
        name = dependency.get("name") if isinstance(dependency, dict) else None
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            continue
        if (chart / "charts" / name).is_dir():
            yield str(dependency.get("alias") or name), chart / "charts" / name


def _load_one(key: str | None, directory: Path, root: Path) -> ValuesSchema | Problem | None:
    schema_path = directory / SCHEMA_FILE
    shown = shown_path(schema_path, root)
    if not schema_path.is_file():
        return None if key else Problem(shown, None, "missing: the chart's values have no schema")
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        cls = validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
    except (OSError, ValueError) as err:
        return Problem(shown, getattr(err, "lineno", None), f"cannot read the schema: {err}")
    except SchemaError as err:
        return Problem(shown, None, f"not a valid JSON schema: {err.message}")
    defaults = load_yaml(directory / "values.yaml", shown_path(directory / "values.yaml", root))
    if isinstance(defaults, Problem):
        return defaults
    return ValuesSchema(key, cls(schema), defaults)


@dataclass(frozen=True)
class FoundValue:
    """A value as helm would merge it, and the file and line that set it."""

    value: Any
    file: str
    line: int | None


class ValuesLookup:
    """Look up a chart value the way helm merges it: the last values file that sets it wins, then
    the umbrella chart's values.yaml, then the subchart's own (`backend.x` is `x` in charts/backend).

    Args:
        root: The stack root (values files are relative to it).
        files: The values files helm is given, in order.
        chart: The umbrella chart, relative to the root.
    """

    def __init__(self, root: Path, files: Sequence[str], chart: str):
        self._root = root
        self._chart = root / chart
        self._docs: dict[Path, YamlDoc | None] = {}
        self._files = [root / f for f in files]

    def _doc(self, path: Path) -> YamlDoc | None:
        if path not in self._docs:
            loaded = load_yaml(path, shown_path(path, self._root)) if path.is_file() else None
            self._docs[path] = loaded if isinstance(loaded, YamlDoc) else None
        return self._docs[path]

    def find(self, path: KeyPath) -> FoundValue | None:
        """Where `path` (e.g. `("frontend", "apiBaseUrl")`) gets its value; None when unset."""
        sources: list[tuple[Path, KeyPath]] = [(f, path) for f in reversed(self._files)]
        sources.append((self._chart / "values.yaml", path))
        if len(path) > 1 and isinstance(path[0], str):
            sources.append((self._chart / "charts" / path[0] / "values.yaml", path[1:]))
        for file, key in sources:
            doc = self._doc(file)
            if doc is not None and doc.has(key):
                return FoundValue(_at(doc.data, key), doc.file, doc.line(key, key=True))
        return None


def _at(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
