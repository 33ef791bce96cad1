"""Everything that can go wrong between artfarm and a ComfyUI server, as one tree.

Catch at the level you care about; every error carries the server URL, the prompt_id and the
node title where there is one, and reads as one line (it is also an `ArtfarmError`, so the CLI
prints it as problems, never as a traceback).

    ArtfarmError
    └── ComfyError                  base: server url, prompt_id, node title
        ├── ServerUnreachable       nothing listens / keeps refusing or failing within the retry time
        ├── AuthRefused             HTTP 401/403: the server (its proxy) wants other credentials
        ├── BadServerReply          the server answered something that is not ComfyUI's API
        ├── GraphRejected           validation failed (locally or HTTP 400 / node_errors on 200)
        ├── ExecutionFailed         `execution_error`: node, exception type and message
        ├── Interrupted             `execution_interrupted` (someone pressed stop, or we did)
        ├── TimedOut                no result within the wait timeout
        └── PromptLost              the server forgot the prompt (restart) even after one resubmission
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from artfarm.problems import ArtfarmError, Problem


@dataclass(frozen=True)
class NodeError:
    """One error ComfyUI reported for one node (or that local validation found)."""

    node_id: str
    class_type: str
    title: str
    input: str
    type: str
    message: str
    fix: str = ""

    def line(self) -> str:
        where = f"node '{self.title}' ({self.class_type} #{self.node_id})"
        if self.input:
            where += f" input '{self.input}'"
        return f"{where}: {self.message}"

    def problem(self, server: str) -> Problem:
        field = f"{self.title}.{self.input}" if self.input else self.title
        return Problem(server, field, f"{self.type}: {self.message}", self.fix or "fix the graph")


class ComfyError(ArtfarmError):
    """Base of all ComfyUI errors: knows the server, prompt and node it concerns."""

    fix = "see the message"

    def __init__(
        self,
        message: str,
        *,
        server: str = "",
        prompt_id: str | None = None,
        node_title: str | None = None,
        fix: str | None = None,
        problems: Iterable[Problem] | None = None,
    ):
        self.message = message
        self.server = server
        self.prompt_id = prompt_id
        self.node_title = node_title
        if fix:
            self.fix = fix
        probs = list(problems or [])
        if not probs:
            probs = [Problem(server or "comfyui", self._field(), message, self.fix)]
        super().__init__(probs)

    def _field(self) -> str:
        parts = []
        if self.prompt_id:
            parts.append(f"prompt {self.prompt_id}")
        if self.node_title:
            parts.append(f"node '{self.node_title}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return self.one_line()

    def one_line(self) -> str:
        """The human message on a single line, naming server, prompt and node."""
        where = self._field()
        text = f"{self.message} [{self.server}{'; ' + where if where else ''}]"
        return " ".join(text.split())


class ServerUnreachable(ComfyError):
    fix = "start ComfyUI (or `artfarm sketch-server`) there, or point artfarm at another URL"


class AuthRefused(ComfyError):
    fix = (
        "set the header under servers: in config/config.yaml (value from an environment "
        "variable or a file outside the repo), or export the variable it names"
    )


class BadServerReply(ComfyError):
    fix = "check that the URL points at a ComfyUI server of a supported version"


class GraphRejected(ComfyError):
    """The graph failed validation; `node_errors` holds every error, `error_type` ComfyUI's type."""

    fix = "fix the named node inputs and submit again"

    def __init__(
        self,
        message: str,
        *,
        error_type: str,
        node_errors: list[NodeError] | None = None,
        server: str = "",
        prompt_id: str | None = None,
    ):
        self.error_type = error_type
        self.node_errors = list(node_errors or [])
        first = self.node_errors[0] if self.node_errors else None
        if first and not message:
            message = first.line()
        if len(self.node_errors) > 1:
            message = f"{message} (+{len(self.node_errors) - 1} more)"
        problems = [e.problem(server) for e in self.node_errors]
        super().__init__(
            message,
            server=server,
            prompt_id=prompt_id,
            node_title=first.title if first else None,
            problems=problems or None,
        )


class ExecutionFailed(ComfyError):
    fix = "read the exception; often a model file, an input image or memory"

    def __init__(
        self,
        message: str,
        *,
        node_id: str = "",
        node_type: str = "",
        exception_type: str = "",
        exception_message: str = "",
        **kw,
    ):
        self.node_id = node_id
        self.node_type = node_type
        self.exception_type = exception_type
        self.exception_message = exception_message
        super().__init__(message, **kw)


class Interrupted(ComfyError):
    fix = "submit again when wanted; someone stopped this prompt"


class TimedOut(ComfyError):
    fix = "raise the timeout or check the server's queue (`GET /queue`)"


class PromptLost(ComfyError):
    fix = "the server lost its queue twice (restarts?); check the server and run again"
