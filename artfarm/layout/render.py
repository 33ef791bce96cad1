"""Run a packaged Typst template with JSON data; every Typst warning is an error here.

Templates live beside this module; the project root is `/` so a template can read art from
any book (paths are checked before they get here). Text that does not fit comes back as one
`artfarm-overflow:` panic listing every page, turned into one problem per page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typst

from artfarm.layout.fonts import FontSet
from artfarm.problems import ArtfarmError, Problem

TEMPLATES = Path(__file__).resolve().parent / "templates"
_OVERFLOW = re.compile(r"artfarm-overflow:(\[.*\])", re.S)


def compile_template(
    template: str,
    data: dict[str, Any],
    fonts: FontSet,
    file: str,
    field_of: Callable[[int], str] = lambda page: f"page {page}",
    fmt: str = "pdf",
    ppi: float = 144.0,
    output: Path | None = None,
) -> Any:
    """Compile `templates/<template>` with `data` as sys.inputs.book; raise on error or warning.

    With `output`, Typst writes the file itself and nothing comes back: a print interior is
    hundreds of MB, and a copy of it in Python would only add to the peak memory.
    """
    kwargs: dict[str, Any] = {"format": fmt}
    if fmt == "png":
        kwargs["ppi"] = ppi
    if output is not None:
        kwargs["output"] = str(output)
    try:
        out, warnings = typst.compile_with_warnings(
            str(TEMPLATES / template),
            root="/",
            font_paths=fonts.font_paths,
            ignore_system_fonts=True,
            sys_inputs={"book": json.dumps(data, ensure_ascii=False)},
            **kwargs,
        )
    except typst.TypstError as err:
        raise ArtfarmError(typst_problems(err, file, field_of)) from None
    if warnings:
        raise ArtfarmError(
            [
                Problem(
                    file,
                    "",
                    f"Typst warning (treated as an error): {w.message}",
                    _warning_fix(w.message),
                )
                for w in warnings
            ]
        )
    return out


def typst_problems(
    err: typst.TypstError, file: str, field_of: Callable[[int], str]
) -> list[Problem]:
    match = _OVERFLOW.search(str(err))
    if not match:
        detail = getattr(err, "diagnostic", "") or str(err)
        return [
            Problem(
                file,
                "",
                f"Typst failed: {str(err).strip()}",
                f"report this layout bug ({detail.splitlines()[0] if detail else ''})",
            )
        ]
    return [overflow_problem(item, file, field_of) for item in json.loads(match.group(1))]


def overflow_problem(item: dict[str, Any], file: str, field_of: Callable[[int], str]) -> Problem:
    page = item["page"]
    return Problem(
        file,
        f"{field_of(page)}.text" if isinstance(page, int) else str(page),
        f"page {page}: text does not fit, {item['overflow']} pt too tall even at fonts.min_size",
        "shorten the text, choose placement 'over' or 'left'/'right', or lower fonts.min_size",
    )


def _warning_fix(message: str) -> str:
    if "font" in message:
        return "use a font family that ships with artfarm or the book (fonts.family, fonts.files)"
    return "fix the input named in the warning"
