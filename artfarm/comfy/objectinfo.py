"""Validate a workflow graph against an /object_info schema, the way ComfyUI 0.3.64 does.

One algorithm serves both sides: the sketch server answers POST /prompt with exactly ComfyUI's
error JSON (`comfy_validate`), and the client checks graphs offline before anything is queued
(`validate_graph`, stricter: it also checks combos of V3 nodes, which ComfyUI defers to run time).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from artfarm.comfy.errors import NodeError

# A custom check replaces ComfyUI's VALIDATE_INPUTS: the inputs it covers skip range/combo
# checks; it returns True or a message ("Invalid image file: x.png").
CustomCheck = tuple[tuple[str, ...], Callable[[dict[str, Any]], bool | str]]


@dataclass
class ComfyVerdict:
    """What ComfyUI's validate_prompt returns: ok, top-level error, good outputs, node_errors."""

    ok: bool
    error: dict[str, Any] | None
    good_outputs: list[str] = field(default_factory=list)
    node_errors: dict[str, Any] = field(default_factory=dict)


def _err(type_: str, message: str, details: str, extra: dict[str, Any] | None = None) -> dict:
    return {"type": type_, "message": message, "details": details, "extra_info": extra or {}}


def is_v3(schema: Mapping[str, Any]) -> bool:
    """V3 nodes (their schema carries `api_node`) skip range and combo checks at submit time."""
    return "api_node" in schema


def input_spec(schema: Mapping[str, Any], name: str) -> tuple[Any, str, dict[str, Any]]:
    """(type, category, options) of one input; type is a list for an old-style combo."""
    for category in ("required", "optional", "hidden"):
        spec = schema.get("input", {}).get(category, {}).get(name)
        if spec is not None:
            if not isinstance(spec, list | tuple):
                return spec, category, {}
            opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            return spec[0], category, opts
    raise KeyError(name)


def combo_options(input_type: Any, opts: Mapping[str, Any]) -> list[Any] | None:
    """The allowed values of a combo input, or None when the input is not a combo."""
    if isinstance(input_type, list):
        return input_type
    if input_type == "COMBO":
        return list(opts.get("options", []))
    return None


def types_match(received: str, wanted: Any) -> bool:
    if not isinstance(wanted, str) or not isinstance(received, str):
        return received == wanted
    if "*" in (received, wanted) or received == wanted:
        return True
    return set(received.split(",")) <= set(wanted.split(","))


class _Validator:
    def __init__(self, prompt, object_info, custom, strict, check_files=True):
        self.check_files = check_files
        self.prompt = prompt
        self.info = object_info
        self.custom: Mapping[str, CustomCheck] = custom or {}
        self.strict = strict
        self.validated: dict[str, tuple[bool, list[dict], str]] = {}

    def node(self, node_id: str) -> tuple[bool, list[dict], str]:
        if node_id in self.validated:
            return self.validated[node_id]
        inputs = self.prompt[node_id]["inputs"]
        class_type = self.prompt[node_id]["class_type"]
        schema = self.info[class_type]
        custom_names, custom_fn = self.custom.get(class_type, ((), None))
        skip_values = is_v3(schema) and not self.strict
        names = list(schema.get("input", {}).get("required", {})) + list(
            schema.get("input", {}).get("optional", {})
        )
        errors: list[dict] = []
        valid = True
        for name in names:
            input_type, category, opts = input_spec(schema, name)
            info = [input_type, opts]
            if name not in inputs:
                if category == "required":
                    errors.append(
                        _err(
                            "required_input_missing",
                            "Required input is missing",
                            name,
                            {"input_name": name},
                        )
                    )
                continue
            val = inputs[name]
            if isinstance(val, list):
                ok = self._link(node_id, name, val, input_type, info, errors)
                valid = valid and ok
                continue
            error = self._literal(
                inputs, name, val, input_type, opts, info, custom_names, skip_values
            )
            if error:
                errors.append(error)
        if custom_fn is not None:
            errors.extend(self._custom(inputs, custom_names, custom_fn))
        verdict = (not errors and valid, errors, node_id)
        self.validated[node_id] = verdict
        return verdict

    def _link(self, node_id, name, val, input_type, info, errors) -> bool:
        if len(val) != 2:
            errors.append(
                _err(
                    "bad_linked_input",
                    "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                    name,
                    {"input_name": name, "input_config": info, "received_value": val},
                )
            )
            return True
        source_id = val[0]
        source_class = self.prompt[source_id]["class_type"]
        received = self.info[source_class]["output"][val[1]]
        if not types_match(received, input_type):
            errors.append(
                _err(
                    "return_type_mismatch",
                    "Return type mismatch between linked nodes",
                    f"{name}, received_type({received}) mismatch input_type({input_type})",
                    {
                        "input_name": name,
                        "input_config": info,
                        "received_type": received,
                        "linked_node": val,
                    },
                )
            )
            return True
        try:
            return self.node(source_id)[0]
        except Exception as ex:
            typ, _, tb = sys.exc_info()
            reasons = [
                _err(
                    "exception_during_inner_validation",
                    "Exception when validating inner node",
                    str(ex),
                    {
                        "input_name": name,
                        "input_config": info,
                        "exception_message": str(ex),
                        "exception_type": typ.__name__ if typ else "Exception",
                        "traceback": traceback.format_tb(tb),
                        "linked_node": val,
                    },
                )
            ]
            self.validated[source_id] = (False, reasons, source_id)
            return False

    def _literal(self, inputs, name, val, input_type, opts, info, custom_names, skip_values):
        try:
            if isinstance(val, dict) and "__value__" in val:
                val = inputs[name] = val["__value__"]
            convert = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}.get(
                input_type if isinstance(input_type, str) else ""
            )
            if convert is not None:
                val = inputs[name] = convert(val)
        except Exception as ex:
            return _err(
                "invalid_input_type",
                f"Failed to convert an input value to a {input_type} value",
                f"{name}, {val}, {ex}",
                {
                    "input_name": name,
                    "input_config": info,
                    "received_value": val,
                    "exception_message": str(ex),
                },
            )
        if name in custom_names or skip_values or (self.strict and opts.get("image_upload")):
            return None
        extra = {"input_name": name, "input_config": info, "received_value": val}
        if "min" in opts and val < opts["min"]:
            msg = f"Value {val} smaller than min of {opts['min']}"
            return _err("value_smaller_than_min", msg, name, extra)
        if "max" in opts and val > opts["max"]:
            msg = f"Value {val} bigger than max of {opts['max']}"
            return _err("value_bigger_than_max", msg, name, extra)
        choices = combo_options(input_type, opts)
        if choices is not None and not self.check_files and names_a_file(val):
            return None
        if choices is not None and val not in choices:
            listed = str(choices)
            if len(choices) > 20:
                listed, extra["input_config"] = f"(list of length {len(choices)})", None
            return _err(
                "value_not_in_list", "Value not in list", f"{name}: '{val}' not in {listed}", extra
            )
        return None

    def _custom(self, inputs, names, fn) -> list[dict]:
        result = fn({n: inputs.get(n) for n in names})
        if result is True:
            return []
        errors = []
        for name in names:
            details = name if result is False else f"{name} - {result}"
            errors.append(
                _err(
                    "custom_validation_failed",
                    "Custom validation failed for node",
                    details,
                    {"input_name": name},
                )
            )
        return errors


FILE_EXTENSIONS = (
    ".safetensors",
    ".ckpt",
    ".pt",
    ".pth",
    ".bin",
    ".sft",
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
)


def names_a_file(value: Any) -> bool:
    return isinstance(value, str) and value.lower().endswith(FILE_EXTENSIONS)


def comfy_validate(
    prompt: dict[str, Any],
    object_info: Mapping[str, Any],
    *,
    partial_targets: list[str] | None = None,
    custom: Mapping[str, CustomCheck] | None = None,
    strict: bool = False,
    check_files: bool = True,
) -> ComfyVerdict:
    """ComfyUI's validate_prompt: same checks, order, error types, messages and details.

    Mutates `prompt` like ComfyUI does (literal inputs are coerced: "64" → 64).
    """
    outputs: list[str] = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            msg = "Cannot execute because a node is missing the class_type property."
            return ComfyVerdict(False, _err("invalid_prompt", msg, f"Node ID '#{node_id}'"))
        schema = object_info.get(node["class_type"])
        if schema is None:
            msg = f"Cannot execute because node {node['class_type']} does not exist."
            return ComfyVerdict(False, _err("invalid_prompt", msg, f"Node ID '#{node_id}'"))
        node.setdefault("inputs", {})
        if schema.get("output_node") and (partial_targets is None or node_id in partial_targets):
            outputs.append(node_id)
    if not outputs:
        return ComfyVerdict(False, _err("prompt_no_outputs", "Prompt has no outputs", ""))

    validator = _Validator(prompt, object_info, custom, strict, check_files)
    good, failed, node_errors = [], [], {}
    for out in outputs:
        try:
            valid, reasons, _ = validator.node(out)
        except Exception as ex:
            typ, _, tb = sys.exc_info()
            valid = False
            reasons = [
                _err(
                    "exception_during_validation",
                    "Exception when validating node",
                    str(ex),
                    {
                        "exception_type": typ.__name__ if typ else "Exception",
                        "traceback": traceback.format_tb(tb),
                    },
                )
            ]
            validator.validated[out] = (False, reasons, out)
        if valid:
            good.append(out)
            continue
        failed.append(reasons)
        for node_id, (ok, node_reasons, _) in validator.validated.items():
            if ok or not node_reasons:
                continue
            entry = node_errors.setdefault(
                node_id,
                {
                    "errors": node_reasons,
                    "dependent_outputs": [],
                    "class_type": prompt.get(node_id, {}).get("class_type", ""),
                },
            )
            entry["dependent_outputs"].append(out)
    if not good:
        details = "\n".join(
            f"{r['message']}: {r['details']}" for reasons in failed for r in reasons
        )
        error = _err(
            "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
        )
        return ComfyVerdict(False, error, [], node_errors)
    return ComfyVerdict(True, None, good, node_errors)


# ---------------------------------------------------------------- human messages for the client


def node_title(graph: Mapping[str, Any], node_id: str) -> str:
    node = graph.get(node_id) if isinstance(graph, Mapping) else None
    if isinstance(node, Mapping):
        meta = node.get("_meta")
        if isinstance(meta, Mapping) and meta.get("title"):
            return str(meta["title"])
        return str(node.get("class_type", node_id))
    return node_id


def _choices_text(extra: Mapping[str, Any]) -> str:
    config = extra.get("input_config")
    if isinstance(config, list) and config:
        choices = combo_options(config[0], config[1] if len(config) > 1 else {})
        if choices is not None:
            return (
                ", ".join(map(str, choices[:20]))
                if choices
                else "(none: the server has no such files)"
            )
    return "(see GET /object_info)"


def _describe(err: Mapping[str, Any]) -> tuple[str, str]:
    """(one-line message, fix) for one ComfyUI node error."""
    kind = err.get("type", "")
    extra = err.get("extra_info") or {}
    name = extra.get("input_name", "")
    got = extra.get("received_value")
    config = extra.get("input_config") or [None, {}]
    opts = config[1] if isinstance(config, list) and len(config) > 1 else {}
    wanted = config[0] if isinstance(config, list) and config else "?"
    if kind == "required_input_missing":
        return f"required input '{name}' is missing", f"connect or set '{name}'"
    if kind == "bad_linked_input":
        return f"link {got!r} is not [node_id, output_index]", 'write links as ["node_id", index]'
    if kind == "return_type_mismatch":
        got_type = extra.get("received_type")
        return (
            f"is linked to a {got_type} output but needs {wanted}",
            f"link '{name}' to an output of type {wanted}",
        )
    if kind == "invalid_input_type":
        return f"{got!r} is not a valid {wanted}", f"give '{name}' a {wanted} value"
    if kind == "value_smaller_than_min":
        return f"{got} is below the minimum {opts.get('min')}", f"use a value ≥ {opts.get('min')}"
    if kind == "value_bigger_than_max":
        return f"{got} is above the maximum {opts.get('max')}", f"use a value ≤ {opts.get('max')}"
    if kind == "value_not_in_list":
        return f"{got!r} is not one of the server's choices", f"use one of: {_choices_text(extra)}"
    if kind == "custom_validation_failed":
        detail = str(err.get("details", ""))
        message = detail.split(" - ", 1)[1] if " - " in detail else detail
        return message, "upload the file first and use the name the server returns"
    if kind.startswith("exception_during"):
        exc = extra.get("exception_type", "Exception")
        return (
            f"validation raised {exc}: {err.get('details', '')} (a link to a missing node?)",
            "make every link [node_id, index] name a node of the graph",
        )
    return f"{err.get('message', kind)}: {err.get('details', '')}", "fix the input"


_TOP_FIXES = {
    "no_prompt": "send the graph under the 'prompt' key",
    "invalid_prompt": "give every node a class_type the server has (see GET /object_info)",
    "prompt_no_outputs": "add an output node such as SaveImage",
    "prompt_outputs_failed_validation": "fix the named node inputs",
}


def node_errors_from_reply(
    error: Mapping[str, Any] | None, node_errors: Mapping[str, Any], graph: Mapping[str, Any]
) -> list[NodeError]:
    """Turn ComfyUI's `error` + `node_errors` into NodeErrors naming title, input and fix."""
    found: list[NodeError] = []
    for node_id, entry in (node_errors or {}).items():
        class_type = entry.get("class_type", "")
        for err in entry.get("errors", []):
            message, fix = _describe(err)
            found.append(
                NodeError(
                    node_id=str(node_id),
                    class_type=class_type,
                    title=node_title(graph, str(node_id)),
                    input=(err.get("extra_info") or {}).get("input_name", ""),
                    type=err.get("type", ""),
                    message=message,
                    fix=fix,
                )
            )
    if not found and error:
        details = str(error.get("details", ""))
        node_id = details.split("#", 1)[1].rstrip("'") if "Node ID '#" in details else ""
        message = str(error.get("message", ""))
        if details and details != message:
            message = f"{message} ({details})"
        found.append(
            NodeError(
                node_id=node_id,
                class_type=str(graph.get(node_id, {}).get("class_type", "")) if node_id else "",
                title=node_title(graph, node_id) if node_id else "graph",
                input="",
                type=str(error.get("type", "")),
                message=" ".join(message.split()),
                fix=_TOP_FIXES.get(str(error.get("type")), "fix the graph"),
            )
        )
    return found


def validate_graph(
    graph: dict[str, Any], object_info: Mapping[str, Any], *, check_files: bool = True
) -> list[NodeError]:
    """Offline check of a graph against a schema; [] when the server would accept and run it.

    Stricter than ComfyUI where ComfyUI would fail only at run time (combos of V3 nodes), and
    every problem names the node title, the input and the fix. The graph is not modified.
    `check_files=False` accepts any model/image file name in a combo: for checking a graph
    against a recorded schema from another machine (whose model lists differ).
    """
    import copy

    prompt = copy.deepcopy(graph)
    verdict = comfy_validate(prompt, object_info, strict=True, check_files=check_files)
    if verdict.ok and not verdict.node_errors:
        return []
    return node_errors_from_reply(verdict.error, verdict.node_errors, graph)
