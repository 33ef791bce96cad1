"""Load the documents people and agents write (JSON, YAML) into pydantic models.

Every failure becomes `Problem`s naming the file, the field path and a fix, so that
`artfarm validate` can list all of them at once: invalid JSON/YAML with line and column,
wrong types, unknown keys, missing fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from artfarm.problems import ArtfarmError, Problem

M = TypeVar("M", bound=BaseModel)

_FIX_BY_ERROR = {
    "extra_forbidden": "remove this key (unknown keys are not ignored); see `artfarm schema {schema}`",
    "missing": "add this field; see `artfarm schema {schema}`",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic location as `a.b[2].c`, the form an agent can find in its document."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(err: ValidationError, file: str, schema: str) -> list[Problem]:
    problems = []
    for item in err.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not _is_union_tag(p))
        fix = _FIX_BY_ERROR.get(item["type"], "correct the value; see `artfarm schema {schema}`")
        message = item["msg"]
        if (
            item["type"] != "missing"
            and "input" in item
            and not isinstance(item["input"], dict | list)
        ):
            message += f" (got {item['input']!r})"
        problems.append(Problem(file, field_path(loc), message, fix.format(schema=schema)))
    return problems


def _is_union_tag(part: Any) -> bool:
    """pydantic inserts model names into locations of union members; they mean nothing to users."""
    return isinstance(part, str) and (part[:1].isupper() or part.startswith("function-"))


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtfarmError.single(str(path), "", "file does not exist", "create it") from None
    except UnicodeDecodeError as err:
        raise ArtfarmError.single(
            str(path), "", f"not UTF-8 text ({err.reason})", "save the file as UTF-8"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ArtfarmError.single(
            str(path),
            f"line {err.lineno}, column {err.colno}",
            f"invalid JSON: {err.msg}",
            "fix the JSON syntax at that position",
        ) from None


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtfarmError.single(str(path), "", "file does not exist", "create it") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ArtfarmError.single(
            str(path), where, f"invalid YAML: {reason}", "fix the YAML syntax at that position"
        ) from None


def parse_model(model: type[M], data: Any, file: Path | str, schema: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ArtfarmError(problems_from_validation(err, str(file), schema)) from None


def load_json_model(model: type[M], path: Path, schema: str) -> M:
    return parse_model(model, read_json(path), path, schema)


def load_yaml_model(model: type[M], path: Path, schema: str) -> M:
    return parse_model(model, read_yaml(path), path, schema)
