"""What the sketch server refuses before queueing, as a GPU server would.

A real GPU has a memory limit: a job asking for more pixels × batch than it holds fails. The
sketch server refuses such a job up front (configurable, `max_job_pixels`) with ComfyUI's
400 shape, so a client meets the same kind of answer it meets on a real server. A malformed
request (a body that is not JSON, a prompt that is not a graph, a number that is not one)
is a 400 in that shape too, never a 500 with a traceback in the log.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_JOB_PIXELS = 8192 * 8192  # e.g. a 4096×4096 batch of 4; print art is ~3072×4096


class BadRequest(Exception):
    """A request the server answers with 400 and ComfyUI's error body."""

    def __init__(self, message: str, details: str = "", kind: str = "invalid_prompt"):
        super().__init__(message)
        self.body = error_body(kind, message, details)


def error_body(kind: str, message: str, details: str = "", node_errors: dict | None = None):
    """ComfyUI's 400 body: `{"error": {type, message, details, extra_info}, "node_errors"}`."""
    error = {"type": kind, "message": message, "details": details, "extra_info": {}}
    return {"error": error, "node_errors": node_errors or {}}


def check_prompt_body(body: Any) -> dict[str, Any]:
    """The body of POST /prompt, its fields of the types ComfyUI's handler reads them as."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object", type(body).__name__)
    if "prompt" in body and not isinstance(body["prompt"], dict):
        raise BadRequest("prompt must be an object of nodes", type(body["prompt"]).__name__)
    for node_id, node in (body.get("prompt") or {}).items():
        if isinstance(node, dict) and not isinstance(node.get("inputs", {}), dict):
            raise BadRequest("node inputs must be an object", f"Node ID '#{node_id}'")
    if "number" in body and not _is_number(body["number"]):
        raise BadRequest("number must be a number", str(body["number"])[:40])
    for key, kind in (("extra_data", dict), ("partial_execution_targets", list)):
        if body.get(key) is not None and not isinstance(body[key], kind):
            raise BadRequest(f"{key} must be a JSON {kind.__name__}", type(body[key]).__name__)
    for key in ("client_id", "prompt_id"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} must be a string", type(body[key]).__name__)
    return body


def _is_number(value: Any) -> bool:
    """What ComfyUI's float(number) takes: a number or a numeric string (not NaN, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return False
    return number == number and abs(number) != float("inf")


def id_list(value: Any) -> list[str]:
    """A `delete` list of prompt ids (POST /queue, POST /history)."""
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise BadRequest("delete must be a list of prompt ids", str(value)[:40], "bad_request")
    return [str(v) for v in value]


def job_pixels(node: dict[str, Any]) -> int:
    """Pixels a node asks for: width × height × batch of its literal inputs (0 if none)."""
    inputs = node.get("inputs") or {}
    width, height = inputs.get("width"), inputs.get("height")
    batch = inputs.get("batch_size", 1)
    sizes = (width, height, batch)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
        return 0
    return max(width, 0) * max(height, 0) * max(batch, 1)


def too_large(prompt: dict[str, Any], limit: int) -> dict[str, Any] | None:
    """ComfyUI's 400 body for a job larger than `limit` pixels, or None if it fits."""
    node_errors = {}
    for node_id, node in prompt.items():
        if not isinstance(node, dict):
            continue
        pixels = job_pixels(node)
        if pixels > limit:
            inputs = node.get("inputs") or {}
            details = (
                f"width {inputs['width']} × height {inputs['height']} × batch "
                f"{inputs.get('batch_size', 1)} = {pixels} pixels, more than this server's "
                f"limit of {limit}"
            )
            error = {
                "type": "value_bigger_than_max",
                "message": "Value bigger than max",
                "details": details,
                "extra_info": {"input_name": "batch_size", "received_value": pixels},
            }
            node_errors[str(node_id)] = {
                "errors": [error],
                "dependent_outputs": [],
                "class_type": str(node.get("class_type")),
            }
    if not node_errors:
        return None
    return error_body(
        "prompt_outputs_failed_validation",
        "Prompt outputs failed validation",
        "a job larger than the server can hold",
        node_errors,
    )


def max_items(value: str | None) -> int | None:
    """GET /history's `max_items`: a whole number, or absent."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest("max_items must be an integer", value[:40], "bad_request") from None
    if number < 0:
        raise BadRequest("max_items must not be negative", value[:40], "bad_request")
    return number


def upload_filename(name: str | None) -> str:
    """An upload's file name: a plain name, never a path (ComfyUI answers 400)."""
    if not name or "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise BadRequest("the upload needs a plain file name", str(name)[:40], "bad_request")
    return name
