"""RenderSpec + style pack + bible → positive and negative prompt, the same bytes every time.

Templates render in Jinja2's sandbox with strict undefined variables: a template naming a
missing field fails with the template's file and line instead of printing an empty string.
A book's `prompt_templates/` folder overrides the pack's templates by file name.
"""

from __future__ import annotations

import functools
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from artfarm.documents.bible import Bible
from artfarm.documents.renderspec import RenderSpec
from artfarm.documents.stylepack import StylePack
from artfarm.problems import ArtfarmError, Problem
from artfarm.rendering.constraints import constraint_words, known_forms

_SPACES = re.compile(r"\s+")
_EMPTY_ITEMS = re.compile(r"(,\s*)+,")


@dataclass(frozen=True)
class Prompts:
    positive: str
    negative: str


def tidy(text: str) -> str:
    """One line, single spaces, no empty comma items: templates may be written for readability."""
    text = _SPACES.sub(" ", text).strip()
    text = _EMPTY_ITEMS.sub(",", text)
    return text.strip(" ,")


def template_environment(pack: StylePack, overrides: Path | None) -> jinja2.Environment:
    """One environment per (overrides, pack) folder pair and process: templates compile once.

    Jinja's loader checks each template file's mtime on use, so edits are still seen.
    """
    search = [str(overrides)] if overrides and overrides.is_dir() else []
    search.append(str(pack.directory))
    return _environment(tuple(search))


@functools.lru_cache(maxsize=32)
def _environment(search: tuple[str, ...]) -> jinja2.Environment:
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(search)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_context(spec: RenderSpec, pack: StylePack, bible: Bible) -> dict[str, Any]:
    """What a template may use; characters come from the bible, never from free text."""
    entries = bible.by_id()
    characters = []
    for c in spec.characters:
        entry = entries.get(c.id)
        if entry is None:
            raise ArtfarmError.single(
                "bible/characters.yaml",
                "characters",
                f"character {c.id!r} (page {spec.page}) is not in the bible",
                f"add {c.id!r} to bible/characters.yaml or fix the page's characters[].id",
            )
        characters.append(
            {
                "id": c.id,
                "name": entry.name,
                "description": entry.description,
                "negative": entry.negative,
                "pose": c.pose,
                "emotion": c.emotion,
            }
        )
    found = (constraint_words(c, pack.spec.constraints) for c in spec.constraints)
    words = [w for w in found if w is not None]
    return {
        "spec": spec.model_dump(mode="json"),
        "scene": spec.scene,
        "intent": spec.intent,
        "camera": spec.camera.model_dump(),
        "environment": spec.environment.model_dump(),
        "characters": characters,
        "constraints": list(spec.constraints),
        "constraint_positive": [w.positive for w in words if w.positive],
        "constraint_negative": [w.negative for w in words if w.negative],
        "negative_extra": list(spec.negative_extra),
        "forbidden": list(bible.forbidden),
        "pack": {"name": pack.name, "description": pack.spec.description},
    }


def unknown_constraints(spec: RenderSpec, pack: StylePack) -> list[str]:
    return [c for c in spec.constraints if constraint_words(c, pack.spec.constraints) is None]


def compile_prompts(
    spec: RenderSpec,
    pack: StylePack,
    bible: Bible,
    overrides: Path | None = None,
    source: str | None = None,
) -> Prompts:
    """`source` names the spec file in messages (default: its path inside the book)."""
    unknown = unknown_constraints(spec, pack)
    if unknown:
        raise ArtfarmError(
            Problem(
                source or f"pages/{spec.page:04d}/renderspec.json",
                "constraints",
                f"constraint {c!r} is not known to style pack {pack.name!r}",
                f"use one of: {', '.join(known_forms(pack.spec.constraints))} (N: a number); "
                "or add it to the book's constraints in book_config.yaml",
            )
            for c in unknown
        )
    env = template_environment(pack, overrides)
    context = template_context(spec, pack, bible)
    return Prompts(
        positive=tidy(render(env, pack.spec.positive_template, context)),
        negative=tidy(render(env, pack.spec.negative_template, context)),
    )


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as err:
        raise ArtfarmError.single(
            name,
            "",
            f"template {err.name!r} not found",
            "create it in the style pack (or the book's prompt_templates/)",
        ) from None
    except jinja2.TemplateSyntaxError as err:
        raise ArtfarmError.single(
            err.filename or name,
            f"line {err.lineno}",
            f"template syntax error: {err.message}",
            "fix the Jinja2 syntax on that line",
        ) from None
    except (jinja2.UndefinedError, jinja2.sandbox.SecurityError) as err:
        file, line = _template_position(err, name)
        raise ArtfarmError.single(
            file,
            f"line {line}" if line else "",
            f"template error: {err}",
            "use only the fields `artfarm prompt --context` lists, or fix the name",
        ) from None


def _template_position(err: BaseException, fallback: str) -> tuple[str, int | None]:
    """Jinja rewrites tracebacks so template frames carry the template file and line."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith((".j2", ".jinja", ".jinja2", ".txt")):
            return frame.filename, frame.lineno
    return fallback, None
