"""Queue, history, node cache and the one worker of a sketch server life.

Behaves like ComfyUI's PromptQueue + PromptExecutor: one prompt at a time in `number` order,
node results cached by input signature under ComfyUI's cache rules (model_cache: the latest
prompt's, or --cache-lru N; an identical resubmission executes nothing and reports the old
files; a loader that executes pays `load_seconds`), events in the recorded order, and
the history entry stored before the final `executing` (node null). A crash discards the whole
engine: queue, history and cache live in memory only, as on ComfyUI.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artfarm.sketch.model_cache import LoadLog, NodeCache, loaded_model
from artfarm.sketch.nodes import NODES, NodeContext, NodeFailure, input_path

MAX_HISTORY = 10_000
Emit = Callable[[str, dict[str, Any], str | None], None]
StepHook = Callable[[str, int, int], None]


class _Interrupted(Exception):
    pass


class _Abandoned(Exception):
    """The server crashed under this prompt: stop without a trace."""


@dataclass(order=True)
class QueueItem:
    number: float
    seq: int
    prompt_id: str = field(compare=False)
    prompt: dict[str, Any] = field(compare=False)
    extra_data: dict[str, Any] = field(compare=False)
    outputs: list[str] = field(compare=False)

    def as_list(self) -> list[Any]:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


def now_ms() -> int:
    return int(time.time() * 1000)


def exception_type_name(exc: BaseException) -> str:
    if isinstance(exc, NodeFailure):
        return "Exception"
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


class Engine:
    """One life of the sketch server's execution side (a crash replaces it)."""

    def __init__(self, dirs: dict[str, Path], models_dir: Path | None, emit: Emit, *,
                 step_seconds: float = 0.0, on_step: StepHook | None = None,
                 metadata: bool = True, cache_lru: int = 0, load_seconds: float = 0.0,
                 load_log: LoadLog | None = None):  # fmt: skip
        self.dirs = dirs
        self.models_dir = models_dir
        self.emit_raw = emit
        self.step_seconds = step_seconds
        self.on_step = on_step
        self.metadata = metadata
        self.cond = threading.Condition()
        self.pending: list[QueueItem] = []
        self.running: QueueItem | None = None
        self.running_node: str | None = None
        self.history: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.cache = NodeCache(cache_lru)
        self.load_seconds = load_seconds
        self.load_log = load_log or LoadLog()
        self.counter = itertools.count()
        self.number = 0
        self.alive = True
        self.interrupt_id: str | None = None
        self.interrupt_any = False
        self.wake = threading.Event()
        self.flags: dict[str, bool] = {}
        self.thread = threading.Thread(target=self._work, name="sketch-worker", daemon=True)
        self.thread.start()

    # ------------------------------------------------------------------ queue API (any thread)

    def emit(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        if self.alive:
            self.emit_raw(event, data, sid)

    def next_number(self, front: bool) -> int:
        with self.cond:
            number = -self.number if front else self.number
            self.number += 1
            return number

    def put(self, item: QueueItem) -> None:
        with self.cond:
            heapq.heappush(self.pending, item)
            self.cond.notify_all()
        self.emit_status()

    def queue_remaining(self) -> int:
        with self.cond:
            return len(self.pending) + (1 if self.running else 0)

    def emit_status(self, sid: str | None = None) -> None:
        self.emit(
            "status", {"status": {"exec_info": {"queue_remaining": self.queue_remaining()}}}, sid
        )

    def snapshot(self) -> dict[str, Any]:
        with self.cond:
            running = [self.running.as_list()] if self.running else []
            return {"queue_running": running, "queue_pending": [i.as_list() for i in self.pending]}

    def delete(self, ids: list[str]) -> None:
        with self.cond:
            self.pending = [i for i in self.pending if i.prompt_id not in set(ids)]
            heapq.heapify(self.pending)
        self.emit_status()

    def clear(self) -> None:
        with self.cond:
            self.pending = []
        self.emit_status()

    def interrupt(self, prompt_id: str | None) -> None:
        with self.cond:
            if prompt_id is None:
                self.interrupt_any = True
            elif self.running and self.running.prompt_id == prompt_id:
                self.interrupt_id = prompt_id
            else:
                return
        self.wake.set()

    def cancel(self, prompt_id: str) -> bool:
        """v0.26's cancel, atomically: interrupt it if running, drop it if pending."""
        with self.cond:
            if self.running and self.running.prompt_id == prompt_id:
                self.interrupt_id = prompt_id
                running = True
            else:
                before = len(self.pending)
                self.pending = [i for i in self.pending if i.prompt_id != prompt_id]
                heapq.heapify(self.pending)
                if len(self.pending) == before:
                    return False
                running = False
        if running:
            self.wake.set()
        else:
            self.emit_status()
        return True

    def free(self, unload_models: bool, free_memory: bool) -> None:
        with self.cond:
            if free_memory or unload_models:
                self.flags["free"] = True

    def history_of(self, prompt_id: str) -> dict[str, Any]:
        with self.cond:
            entry = self.history.get(prompt_id)
            return {prompt_id: entry} if entry is not None else {}

    def history_items(self, max_items: int | None) -> dict[str, Any]:
        with self.cond:
            items = list(self.history.items())
        if max_items is not None:
            items = items[-max_items:] if max_items > 0 else []
        return dict(items)

    def history_delete(self, ids: list[str] | None, clear: bool) -> None:
        with self.cond:
            if clear:
                self.history.clear()
            for pid in ids or []:
                self.history.pop(pid, None)

    def loaded_models(self) -> int:
        return sum(
            1 for v in self.cache.values() if v.get("class_type") == "CheckpointLoaderSimple"
        )

    def stop(self) -> None:
        """Crash or shutdown: forget everything and let the worker die."""
        with self.cond:
            self.alive = False
            self.pending = []
            self.cond.notify_all()
        self.wake.set()

    # ------------------------------------------------------------------ worker

    def _work(self) -> None:
        while True:
            with self.cond:
                while self.alive and not self.pending:
                    self.cond.wait()
                if not self.alive:
                    return
                item = heapq.heappop(self.pending)
                self.running = item
                self.interrupt_id, self.interrupt_any = None, False
                if self.flags.pop("free", False):
                    self.cache.clear()
            self.wake.clear()
            self.emit_status()
            try:
                self._execute(item)
            except _Abandoned:
                return
            finally:
                with self.cond:
                    if self.running is item:
                        self.running = None

    def _check(self, prompt_id: str) -> None:
        if not self.alive:
            raise _Abandoned()
        if self.interrupt_any or self.interrupt_id == prompt_id:
            raise _Interrupted()

    def signatures(self, prompt: dict[str, Any]) -> dict[str, str]:
        """A cache key per node: class, literal inputs, upstream keys and input-file content."""
        keys: dict[str, str] = {}

        def key(nid: str) -> str:
            if nid in keys:
                return keys[nid]
            node = prompt[nid]
            parts: dict[str, Any] = {"class": node["class_type"]}
            for name, value in sorted(node.get("inputs", {}).items()):
                if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                    parts[name] = ["link", key(str(value[0])), value[1]]
                else:
                    parts[name] = value
            if node["class_type"] in ("LoadImage", "LoadImageMask"):
                parts["file"] = self._file_hash(node["inputs"].get("image"))
            keys[nid] = hashlib.sha256(
                json.dumps(parts, sort_keys=True, default=str).encode()
            ).hexdigest()
            return keys[nid]

        for nid in prompt:
            key(nid)
        return keys

    def _file_hash(self, name: Any) -> str:
        try:
            ctx = self._context({}, {}, lambda v, m: None)
            return hashlib.sha256(input_path(ctx, str(name)).read_bytes()).hexdigest()
        except (OSError, NodeFailure):
            return "missing"

    def _context(self, prompt, extra, step) -> NodeContext:
        return NodeContext(
            input_dir=self.dirs["input"],
            output_dir=self.dirs["output"],
            temp_dir=self.dirs["temp"],
            models_dir=self.models_dir,
            prompt=prompt,
            extra_pnginfo=extra.get("extra_pnginfo"),
            step=step,
            metadata=self.metadata,
        )

    def _order(self, prompt: dict[str, Any], outputs: list[str]) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()

        def visit(nid: str) -> None:
            if nid in seen:
                return
            seen.add(nid)
            for value in prompt[nid].get("inputs", {}).values():
                if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                    visit(str(value[0]))
            order.append(nid)

        for out in outputs:
            visit(out)
        return order

    def _execute(self, item: QueueItem) -> None:
        pid, prompt, sid = item.prompt_id, item.prompt, item.extra_data.get("client_id")
        messages: list[list[Any]] = []

        def event(name: str, data: dict[str, Any], to: str | None = sid, keep: bool = True) -> None:
            if keep:
                messages.append([name, data])
            self.emit(name, data, to)

        event("execution_start", {"prompt_id": pid, "timestamp": now_ms()})
        keys = self.signatures(prompt)
        self.cache.begin(keys.values())
        cached = [nid for nid in prompt if keys[nid] in self.cache]
        event("execution_cached", {"nodes": cached, "prompt_id": pid, "timestamp": now_ms()})
        ui_outputs: dict[str, Any] = {}
        for nid in cached:
            ui = self.cache.entries[keys[nid]].get("ui")
            if ui and nid in self._order(prompt, item.outputs):
                ui_outputs[nid] = ui
                self.emit(
                    "executed",
                    {"node": nid, "display_node": nid, "output": ui, "prompt_id": pid},
                    sid,
                )
        values: dict[str, tuple] = {}
        executed: list[str] = []
        states: dict[str, Any] = {}
        current = ""
        try:
            for nid in self._order(prompt, item.outputs):
                self._check(pid)
                hit = self.cache.get(keys[nid])
                if hit is not None:
                    values[nid] = hit["result"]
                    continue
                current = nid
                ui = self._run_node(pid, sid, prompt, item.extra_data, nid, values, states)
                self.cache.put(
                    keys[nid],
                    {"result": values[nid], "ui": ui, "class_type": prompt[nid]["class_type"]},
                )
                executed.append(nid)
                if ui:
                    ui_outputs[nid] = ui
                    self.emit(
                        "executed",
                        {"node": nid, "display_node": nid, "output": ui, "prompt_id": pid},
                        sid,
                    )
        except _Interrupted:
            data = {"prompt_id": pid, "node_id": current, "node_type": prompt.get(current, {}).get("class_type", ""),
                    "executed": executed, "timestamp": now_ms()}  # fmt: skip
            event("execution_interrupted", data, to=None)
            self._finish(item, {}, "error", False, messages)
            return
        except _Abandoned:
            raise
        except Exception as exc:
            data = {
                "prompt_id": pid,
                "node_id": current,
                "node_type": prompt.get(current, {}).get("class_type", ""),
                "executed": executed,
                "exception_message": str(exc),
                "exception_type": exception_type_name(exc),
                "traceback": traceback.format_tb(exc.__traceback__),
                "current_inputs": {},
                "current_outputs": {},
                "timestamp": now_ms(),
            }
            event("execution_error", data)
            self._finish(item, ui_outputs, "error", False, messages)
            return
        event("execution_success", {"prompt_id": pid, "timestamp": now_ms()})
        self._finish(item, ui_outputs, "success", True, messages)

    def _run_node(self, pid, sid, prompt, extra, nid, values, states) -> dict[str, Any] | None:
        node = prompt[nid]
        states[nid] = {"value": 0.0, "max": 1.0, "state": "running", "node_id": nid, "prompt_id": pid,
                       "display_node_id": nid, "parent_node_id": None, "real_node_id": nid}  # fmt: skip
        self.emit(
            "progress_state", {"prompt_id": pid, "nodes": json.loads(json.dumps(states))}, sid
        )
        self.emit("executing", {"node": nid, "display_node": nid, "prompt_id": pid}, sid)
        with self.cond:
            self.running_node = nid
        self._load(pid, node)
        inputs = {}
        for name, value in node.get("inputs", {}).items():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in values:
                inputs[name] = values[str(value[0])][value[1]]
            elif not isinstance(value, list):
                inputs[name] = value

        def step(value: int, maximum: int) -> None:
            self._check(pid)
            if self.step_seconds > 0:
                self.wake.wait(self.step_seconds)
                self._check(pid)
            self.emit("progress", {"value": value, "max": maximum, "prompt_id": pid, "node": nid})
            if self.on_step is not None:
                self.on_step(pid, value, maximum)
            self._check(pid)

        ctx = self._context(prompt, extra, step)
        import inspect

        accepted = inspect.signature(NODES[node["class_type"]]).parameters
        result = NODES[node["class_type"]](
            ctx, **{k: v for k, v in inputs.items() if k in accepted}
        )
        values[nid] = result["result"]
        states[nid].update(value=1.0, state="finished")
        self.emit(
            "progress_state", {"prompt_id": pid, "nodes": json.loads(json.dumps(states))}, sid
        )
        return result.get("ui")

    def _load(self, pid: str, node: dict[str, Any]) -> None:
        """A loader that executes pays a model load (its result was not in the cache)."""
        model = loaded_model(node["class_type"], node.get("inputs", {}))
        if model is None:
            return
        self.load_log.record(model)
        if self.load_seconds > 0:
            self.wake.wait(self.load_seconds)
            self._check(pid)

    def _finish(self, item, outputs, status_str, completed, messages) -> None:
        """Store the history entry, then announce the end (history first, as ComfyUI does)."""
        if not self.alive:
            raise _Abandoned()
        entry = {
            "prompt": item.as_list(),
            "outputs": outputs,
            "status": {"status_str": status_str, "completed": completed, "messages": messages},
            "meta": {
                nid: {"node_id": nid, "display_node": nid, "parent_node": None, "real_node_id": nid}
                for nid in outputs
            },
        }
        with self.cond:
            self.history[item.prompt_id] = entry
            while len(self.history) > MAX_HISTORY:
                self.history.popitem(last=False)
            self.running = None
            self.running_node = None
        self.emit_status()
        self.emit(
            "executing",
            {"node": None, "prompt_id": item.prompt_id},
            item.extra_data.get("client_id"),
        )
