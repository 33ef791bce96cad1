"""Problems a user or an agent can fix, and the one exception type that carries them.

Every bad input in artfarm becomes a `Problem` — file, field, what is wrong, what to do —
so the CLI can print all of them at once (or as JSON records) and never a traceback.

    ArtfarmError                 base: carries one or more Problems
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

# Where a problem quotes its input it quotes a short excerpt (documents.reader); these limits
# are the net under that: no input, wherever it ends up in a problem, makes one long.
PART_LIMITS = {"file": 300, "field": 100, "problem": 400, "fix": 400}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters (an ellipsis marks the cut)."""
    text = _CONTROL.sub(" ", str(text))
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, phrased so the reader knows what to change.

    Every part is clipped to one short line on creation, so no input can make an error
    message long (or multi-line), wherever the problem is printed or recorded.
    """

    file: str
    field: str
    problem: str
    fix: str

    def __post_init__(self) -> None:
        for name, limit in PART_LIMITS.items():
            object.__setattr__(self, name, clip(getattr(self, name), limit))

    def line(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.problem} (fix: {self.fix})"

    def record(self) -> dict[str, str]:
        return asdict(self)


class ArtfarmError(Exception):
    """A user-facing error: the CLI prints its problems, exits 1, and shows no traceback."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        super().__init__("\n".join(p.line() for p in self.problems))

    @classmethod
    def single(cls, file: str, field: str, problem: str, fix: str) -> ArtfarmError:
        return cls(Problem(str(file), field, problem, fix))


def problems_as_json(problems: Iterable[Problem]) -> str:
    """NDJSON: one record per line, the same fields as the human text."""
    return "\n".join(json.dumps(p.record(), ensure_ascii=False) for p in problems)


def filesystem_problem(err: OSError) -> Problem:
    """A file system fault as a problem: atomic writes leave nothing half-written behind."""
    path = err.filename or "file system"
    reason = err.strerror or type(err).__name__
    return Problem(str(path), "", reason, "free space or fix permissions, then run it again")
