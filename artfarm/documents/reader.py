"""The one guarded reader for what people and agents write: JSON, YAML, images, masks.

Every document and image of a book is read through here. Before a byte is read the path is
resolved and refused if it leaves the book (symlinks included), is not a regular file or is
too large; images are checked from their header (pixels) before any decoding; JSON and YAML
are checked for nesting depth before parsing (the parsers recurse) and for their expanded
size after. Every failure becomes `Problem`s naming the file, the field path and a fix, so
`artfarm validate` can list all of them at once, and no error quotes more than a short
excerpt of the input.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any, TypeVar

import yaml
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ValidationError

from artfarm.documents.safepath import PathEscape, ensure_inside, resolve_inside
from artfarm.problems import ArtfarmError, Problem

M = TypeVar("M", bound=BaseModel)

MAX_DOCUMENT_BYTES = 1 << 20  # a spec, a review, a bible: words and numbers, never megabytes
MAX_IMAGE_BYTES = 256 << 20
MAX_IMAGE_PIXELS = (
    8192 * 8192
)  # 4× print art of the largest render size; below Pillow's bomb warning
MAX_DEPTH = 64  # nesting of a JSON/YAML document; the schemas need fewer than 10
MAX_VALUES = 200_000  # values in a document after YAML aliases are expanded
EXCERPT = 60  # characters of an input value quoted back in an error

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[^\[\]{}]+")
# libyaml when present: PyYAML's pure-Python scanner takes minutes on a 1 MB flow sequence.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SMALLER = "use a smaller image (the header is read before any pixel is decoded)"

_FIX_BY_ERROR = {
    "extra_forbidden": "remove this key (unknown keys are not ignored); see `artfarm schema {schema}`",
    "missing": "add this field; see `artfarm schema {schema}`",
    "credentials_in_url": "send them as headers {{env: NAME}}; see `artfarm schema {schema}`",
}
_NEVER_QUOTED = {"missing", "credentials_in_url"}  # nothing to quote, or a secret


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
    for item in _one_branch(err.errors(include_url=False)):
        loc = _without_tags(item["loc"])
        fix = _FIX_BY_ERROR.get(item["type"], "correct the value; see `artfarm schema {schema}`")
        message = item["msg"].removeprefix("Value error, ")
        if (
            item["type"] not in _NEVER_QUOTED
            and "input" in item
            and not isinstance(item["input"], dict | list)
        ):
            message += f" (got {_excerpt(item['input'])})"
        problems.append(Problem(file, field_path(loc), message, fix.format(schema=schema)))
    return problems


_BRANCH_TYPES = {"model_type", "string_type", "dict_type", "list_type", "model_attributes_type"}


def _one_branch(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a value that fits no member of a union, the errors of the member it was meant as.

    pydantic reports every member ("should be a string", "should be a dictionary"); where one
    member got further than "wrong type", only its errors are kept.
    """
    deeper = {_without_tags(i["loc"]) for i in items if i["type"] not in _BRANCH_TYPES}
    kept, seen = [], set()
    for item in items:
        loc = _without_tags(item["loc"])
        if item["type"] in _BRANCH_TYPES:
            if any(d[: len(loc)] == loc for d in deeper) or loc in seen:
                continue
            seen.add(loc)
        kept.append(item)
    return kept


def _without_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location without union tags: model names, and a mask's kind after `mask`."""
    kept: list[Any] = []
    for part in loc:
        if _is_union_tag(part) or (kept and kept[-1] == "mask" and part in MASK_KINDS):
            continue
        kept.append(part)
    return tuple(kept)


MASK_KINDS = ("box", "polygon", "image")


def _is_union_tag(part: Any) -> bool:
    """pydantic inserts model names into locations of union members; they mean nothing to users."""
    return isinstance(part, str) and (part[:1].isupper() or part.startswith("function-"))


def _excerpt(value: Any) -> str:
    """A short repr of an input value: enough to recognise it, never the whole of it."""
    text = repr(value)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _refuse(path: Path, problem: str, fix: str, field: str = "") -> ArtfarmError:
    return ArtfarmError.single(str(path), field, problem, fix)


def guard(path: Path, root: Path | None, max_bytes: int) -> Path:
    """The real path of a document, after refusing what must not be opened.

    Outside `root` (symlinks resolved first), not a regular file (a FIFO would hang the
    reader, a device never ends), or larger than `max_bytes`: refused before any byte is read.
    """
    real = path
    if root is not None:
        try:
            real = ensure_inside(root, path)
        except PathEscape as err:
            raise _refuse(
                path, str(err), "replace it with a regular file inside the book"
            ) from None
    try:
        st = real.stat()
    except FileNotFoundError:
        raise _refuse(path, "file does not exist", "create it") from None
    except OSError as err:
        raise _refuse(path, f"cannot be read ({err.strerror})", "check the file") from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, "is not a regular file", "replace it with a regular file")
    if st.st_size > max_bytes:
        raise _refuse(
            path,
            f"file is {st.st_size} bytes, more than the limit of {max_bytes}",
            "shorten it (documents hold words and numbers, not data)",
        )
    return real


def read_bytes(
    path: Path, *, root: Path | None = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> bytes:
    """Every byte of a document, guarded: inside `root`, a regular file, at most `max_bytes`."""
    real = guard(path, root, max_bytes)
    try:
        with open(real, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise _refuse(path, f"cannot be read ({err.strerror})", "check the file") from None
    if len(data) > max_bytes:  # it grew after the check
        raise _refuse(path, f"file is more than the limit of {max_bytes} bytes", "shorten it")
    return data


def read_text(path: Path, *, root: Path | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    data = read_bytes(path, root=root, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _refuse(path, f"not UTF-8 text ({err.reason})", "save the file as UTF-8") from None


def json_depth(text: str) -> int:
    """Deepest nesting of a JSON text (or YAML's flow style), without parsing it.

    The parsers recurse (or, PyYAML's scanner, slow down quadratically) with nesting.
    """
    brackets = _BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path: Path, *, root: Path | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    text = read_text(path, root=root, max_bytes=max_bytes)
    _check_depth(path, json_depth(text))
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise _refuse(
            path,
            f"invalid JSON: {err.msg}",
            "fix the JSON syntax at that position",
            f"line {err.lineno}, column {err.colno}",
        ) from None
    except (ValueError, RecursionError) as err:
        raise _refuse(path, f"invalid JSON: {str(err)[:80]}", "fix the value") from None
    _check_size(path, data)
    return data


def read_yaml(path: Path, *, root: Path | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    text = read_text(path, root=root, max_bytes=max_bytes)
    try:
        _check_depth(
            path, json_depth(text)
        )  # flow [ { nesting: PyYAML's scanner is quadratic in it
        _check_depth(path, yaml_depth(text))
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise _refuse(
            path, f"invalid YAML: {reason}", "fix the YAML syntax at that position", where
        ) from None
    except (ValueError, TypeError, RecursionError, OverflowError) as err:
        raise _refuse(path, f"invalid YAML: {str(err)[:80]}", "fix the value") from None
    _check_size(path, data)
    return data


def yaml_depth(text: str) -> int:
    """Deepest nesting of a YAML text, from its event stream (the composer recurses)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


def _check_depth(path: Path, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _refuse(
            path,
            f"nested {depth} levels deep, more than the limit of {MAX_DEPTH}",
            "flatten it; see the schema (`artfarm schema`)",
        )


def _check_size(path: Path, data: Any) -> None:
    """Refuse a document that expands to too many values (YAML aliases can multiply them)."""
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise _refuse(
                path,
                f"holds more than {MAX_VALUES} values (aliases expanded)",
                "write it out plainly; documents are small",
            )
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)


# ----------------------------------------------------------------------------------- images


def book_file(
    root: Path, relative: str, *, source: str, field: str, max_bytes: int = MAX_IMAGE_BYTES
) -> Path:
    """The real path of a file a document names (a reference, a mask), checked like a document.

    Problems name the document (`source`) and its `field`, quoting the path only briefly.
    """
    shown = _excerpt(relative)
    try:
        real = resolve_inside(root, relative)
    except PathEscape as err:
        raise ArtfarmError.single(
            source, field, f"{shown}: {err}", "use a path inside the book folder"
        ) from None
    try:
        return guard(real, None, max_bytes)
    except ArtfarmError as err:
        raise ArtfarmError(
            Problem(source, field, f"{shown}: {p.problem}", p.fix) for p in err.problems
        ) from None


def image_size(
    path: Path,
    *,
    root: Path | None = None,
    source: str | None = None,
    field: str = "",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> tuple[int, int]:
    """Width and height from the image's header, after the same guards as a document.

    Problems name `source` and `field` (the document that refers to the image) when given.
    """
    with open_image(path, root=root, source=source, field=field, max_pixels=max_pixels) as img:
        return img.size


def open_image(
    path: Path,
    *,
    root: Path | None = None,
    source: str | None = None,
    field: str = "",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Image.Image:
    """An image opened lazily (header only) and checked: a real image, at most `max_pixels`.

    Call `load_image` (or `.load()`) to decode it; the pixel check is already done.
    """
    cite = source or str(path)
    name = path.name if source else ""
    prefix = f"{name}: " if name else ""
    try:
        real = guard(path, root, MAX_IMAGE_BYTES)
    except ArtfarmError as err:
        raise ArtfarmError(
            Problem(cite, field or p.field, f"{prefix}{p.problem}", p.fix) for p in err.problems
        ) from None
    try:
        img = Image.open(real)
    except Image.DecompressionBombError:
        raise ArtfarmError.single(
            cite, field, f"{prefix}image is larger than {max_pixels} pixels", _SMALLER
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise _unreadable(path, source, field, err) from None
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise ArtfarmError.single(
            cite,
            field,
            f"{prefix}image is {width}×{height}, more than the limit of {max_pixels} pixels",
            _SMALLER,
        )
    return img


def load_image(
    path: Path,
    *,
    root: Path | None = None,
    source: str | None = None,
    field: str = "",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Image.Image:
    """A decoded image (pixels in memory), guarded like `open_image`.

    Pillow closes a single-frame image's file once its pixels are loaded.
    """
    img = open_image(path, root=root, source=source, field=field, max_pixels=max_pixels)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as err:
        img.close()
        raise _unreadable(path, source, field, err) from None
    return img


def _unreadable(path: Path, source: str | None, field: str, err: Exception) -> ArtfarmError:
    """Pillow could not read the header or the pixels: one line, cut short, naming the image."""
    prefix = f"{path.name}: " if source else ""
    return ArtfarmError.single(
        source or str(path),
        field,
        f"{prefix}not a readable image ({str(err)[:80]})",
        "use a PNG or JPEG",
    )


def parse_model(model: type[M], data: Any, file: Path | str, schema: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ArtfarmError(problems_from_validation(err, str(file), schema)) from None


def load_json_model(model: type[M], path: Path, schema: str, *, root: Path | None = None) -> M:
    return parse_model(model, read_json(path, root=root), path, schema)


def load_yaml_model(model: type[M], path: Path, schema: str, *, root: Path | None = None) -> M:
    return parse_model(model, read_yaml(path, root=root), path, schema)
