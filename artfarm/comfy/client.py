"""The ComfyUI client: health, upload, validate, submit, wait, fetch — and `run`, all of them.

Written for a server that restarts, a socket that stalls and a process that gets killed:
connection failures and 5xx are retried with backoff for a bounded time, the prompt_id is
journalled before it is sent, the history entry (never the socket) is the result, and a prompt
the server forgot is sent again once — under a new id, because v0.25+ servers never
de-duplicate: an id is sent again only when the server cannot be holding it.

Each server's API generation is read from its version (capabilities.py): the jobs API for
waiting and re-attaching and the cancel endpoint where they exist, /queue + /history and
/interrupt or /queue delete where not. Request headers (an authenticating proxy's) go on every
HTTP request and the WebSocket handshake and nowhere else: never in records, journals or
error lines. Nothing here knows whether the server is ComfyUI or artfarm's sketch server.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import mimetypes
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from artfarm.atomic import atomic_path
from artfarm.comfy.capabilities import Capabilities, capabilities_of
from artfarm.comfy.errors import (
    AuthRefused,
    BadServerReply,
    ExecutionFailed,
    GraphRejected,
    Interrupted,
    NodeError,
    PromptLost,
    ServerUnreachable,
    TimedOut,
)
from artfarm.comfy.history import (
    HistoryEntry,
    JobView,
    OutputImage,
    entry_state,
    parse_history_reply,
    parse_job_reply,
    parse_ws_message,
    queue_states,
)
from artfarm.comfy.journal import JobEntry, Journal, graph_sha256
from artfarm.comfy.objectinfo import node_errors_from_reply, node_title, validate_graph
from artfarm.comfy.records import FetchedImage, RunRecord, ServerInfo, Submission, Timings
from artfarm.comfy.uploads import upload_name

ProgressCallback = Callable[[int, int, str | None], None]
RETRYABLE = (httpx.TransportError,)

_OBJECT_INFO: dict[str, dict[str, Any]] = {}
_OBJECT_INFO_LOCK = threading.Lock()


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep retrying refused/reset connections and 5xx answers, and how fast."""

    total_seconds: float = 60.0
    first_delay: float = 0.05
    max_delay: float = 2.0


@dataclass(frozen=True)
class WaitPolicy:
    """How to wait for a prompt: overall timeout, socket stall limit, polling pace."""

    timeout: float = 6 * 3600.0
    ws_stall_seconds: float = 5.0
    poll_interval: float = 0.1
    max_poll_interval: float = 2.0
    ws_retry_seconds: float = 2.0


def tls_verification(base_url: str) -> ssl.SSLContext | bool:
    """httpx's `verify` for a server: the system's CA store for https (httpx's default).

    Every request goes to a path under `base_url` and redirects are not followed, so a plain
    http server never sees a TLS handshake; loading the CA store for it cost each job ~20 ms of
    CPU. It gets a context that trusts no certificate instead: never used, and it would refuse
    rather than trust if it ever were.
    """
    if urlsplit(base_url).scheme.lower() == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies peers and hostnames, trusts none


class ComfyClient:
    """One ComfyUI server, spoken to over HTTP (httpx) and WebSocket (websockets)."""

    def __init__(
        self,
        base_url: str,
        *,
        journal_dir: str | Path | None = None,
        client_id: str | None = None,
        retry: RetryPolicy | None = None,
        wait: WaitPolicy | None = None,
        http_timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.client_id = client_id or uuid.uuid4().hex
        self.retry = retry or RetryPolicy()
        self.wait_policy = wait or WaitPolicy()
        self.journal = Journal(journal_dir)
        self.http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(http_timeout, connect=5.0),
            trust_env=False,
            headers=self.headers,
            verify=tls_verification(self.base_url),
        )
        self._caps: Capabilities | None = None
        self._ws: ClientConnection | None = None
        self._ws_failed_at = 0.0
        self._uploaded: dict[str, str] = {}

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        self._drop_ws()
        self.http.close()

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, *, retry: bool = True, **kw: Any) -> httpx.Response:
        """One HTTP request; refused/reset connections and 5xx retried with backoff if `retry`."""
        deadline = time.monotonic() + (self.retry.total_seconds if retry else 0.0)
        delay = self.retry.first_delay
        while True:
            try:
                resp = self.http.request(method, path, **kw)
            except RETRYABLE as exc:
                if time.monotonic() + delay > deadline:
                    raise ServerUnreachable(
                        f"no answer from {self.base_url} ({type(exc).__name__}: {exc})",
                        server=self.base_url,
                    ) from exc
            else:
                if resp.status_code in (401, 403):
                    raise self._auth_refused(resp, f"{method} {path}")
                if resp.status_code < 500:
                    return resp
                if time.monotonic() + delay > deadline:
                    raise BadServerReply(
                        f"{method} {path} answered HTTP {resp.status_code}", server=self.base_url
                    )
            time.sleep(delay)
            delay = min(delay * 2, self.retry.max_delay)

    def _auth_refused(self, resp: httpx.Response, what: str) -> AuthRefused:
        """One line naming the server, what it said and which headers (names only) went out."""
        said = self._redact(" ".join(resp.text.split())[:160]) or "no reason given"
        wants = resp.headers.get("WWW-Authenticate")
        sent = ", ".join(sorted(self.headers)) or "none configured"
        return AuthRefused(
            f"{what} refused with HTTP {resp.status_code} ({said}"
            f"{'; wants ' + self._redact(wants) if wants else ''}); headers sent: {sent}",
            server=self.base_url,
        )

    def _redact(self, text: str) -> str:
        """Our header values never appear in what we say, even if a proxy echoes them."""
        for value in self.headers.values():
            for secret in {value, *value.split()}:
                if len(secret) >= 4:
                    text = text.replace(secret, "***")
        return text

    def _json(self, resp: httpx.Response, what: str) -> Any:
        if resp.status_code != 200:
            raise BadServerReply(f"{what} answered HTTP {resp.status_code}", server=self.base_url)
        try:
            return resp.json()
        except ValueError as exc:
            raise BadServerReply(f"{what} did not answer JSON", server=self.base_url) from exc

    # ------------------------------------------------------------------ server facts

    def health(self) -> ServerInfo:
        """GET /system_stats: version, devices, VRAM; ServerUnreachable when nothing listens."""
        body = self._json(self._request("GET", "/system_stats"), "GET /system_stats")
        try:
            info = ServerInfo(
                url=self.base_url,
                version=str(body["system"]["comfyui_version"]),
                devices=list(body.get("devices", [])),
            )
        except (KeyError, TypeError) as exc:
            raise BadServerReply("GET /system_stats lacks system.comfyui_version") from exc
        if self._caps is None or self._caps.version != info.version:
            self._caps = self._detect(info.version)
        return info

    def capabilities(self) -> Capabilities:
        """The server's API features, from its version (asked once; a restart re-reads it)."""
        if self._caps is None:
            self.health()
        assert self._caps is not None
        return self._caps

    def _detect(self, version: str) -> Capabilities:
        caps = capabilities_of(version)
        if caps.probe_jobs:  # a version our facts do not place: ask for an id nobody has
            resp = self._request("GET", f"/api/jobs/{uuid.uuid4()}")
            has = resp.status_code == 404 and _is_json_error(resp)
            caps = Capabilities(version, has, caps.cancel_endpoint, caps.uuid_prompt_ids)
        return caps

    def queue_remaining(self) -> int:
        body = self._json(self._request("GET", "/prompt", retry=False), "GET /prompt")
        try:
            return int(body["exec_info"]["queue_remaining"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadServerReply("GET /prompt lacks exec_info.queue_remaining") from exc

    def object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        """GET /object_info, fetched once per server per process (it is large)."""
        with _OBJECT_INFO_LOCK:
            if refresh or self.base_url not in _OBJECT_INFO:
                body = self._json(self._request("GET", "/object_info"), "GET /object_info")
                if not isinstance(body, dict):
                    raise BadServerReply("GET /object_info is not an object", server=self.base_url)
                _OBJECT_INFO[self.base_url] = body
            return _OBJECT_INFO[self.base_url]

    # ------------------------------------------------------------------ verbs

    def upload(
        self,
        image: str | Path | bytes,
        *,
        mask: bool = False,
        original_ref: Mapping[str, str] | None = None,
        subfolder: str = "",
    ) -> str:
        """Put an image in the server's input folder; returns the name to give LoadImage.

        The file is named by its content hash (`uploads.upload_name`, the name the compiler
        already wrote into the graph), so identical bytes are never sent twice: a
        process-wide memo, then a HEAD /view, then the upload. With `mask=True` and an
        `original_ref`, /upload/mask copies this image's alpha onto that original.
        """
        data = image if isinstance(image, bytes) else Path(image).read_bytes()
        ext = ".png" if isinstance(image, bytes) else (Path(image).suffix.lower() or ".png")
        digest = hashlib.sha256(data).hexdigest()
        use_mask = mask and original_ref is not None
        if use_mask:
            ref = json.dumps(dict(original_ref or {}), sort_keys=True)
            digest = hashlib.sha256(data + ref.encode()).hexdigest()
        filename = f"{'mask-' if use_mask else ''}{upload_name(digest, ext)}"
        memo_key = f"{self.base_url}|{subfolder}|{filename}"
        if memo_key in self._uploaded:
            return self._uploaded[memo_key]
        if self._input_exists(filename, subfolder):
            name = f"{subfolder}/{filename}" if subfolder else filename
        else:
            name = self._post_upload(data, filename, subfolder, original_ref if use_mask else None)
        self._uploaded[memo_key] = name
        return name

    def _input_exists(self, filename: str, subfolder: str) -> bool:
        params = {"filename": filename, "subfolder": subfolder, "type": "input"}
        return self._request("HEAD", "/view", params=params).status_code == 200

    def _post_upload(self, data, filename, subfolder, original_ref) -> str:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        fields = {"type": "input", "subfolder": subfolder}
        path = "/upload/image"
        if original_ref is not None:
            path = "/upload/mask"
            fields["original_ref"] = json.dumps(dict(original_ref))
        resp = self._request(
            "POST", path, files={"image": (filename, data, content_type)}, data=fields
        )
        body = self._json(resp, f"POST {path}")
        try:
            name, sub = str(body["name"]), str(body.get("subfolder") or "")
        except (KeyError, TypeError) as exc:
            raise BadServerReply(f"POST {path} answer lacks 'name'", server=self.base_url) from exc
        return f"{sub}/{name}" if sub else name

    def validate(self, graph: dict[str, Any]) -> None:
        """Check the graph against the server's /object_info before anything is queued.

        The cached /object_info lists the input folder as it was when fetched; a graph naming
        a file this client uploaded since then is checked against a fresh copy.
        """
        errors = validate_graph(graph, self.object_info())
        if errors and self._names_fresh_upload(graph, errors):
            errors = validate_graph(graph, self.object_info(refresh=True))
        if errors:
            raise GraphRejected(
                "", error_type=errors[0].type, node_errors=errors, server=self.base_url
            )

    def _names_fresh_upload(self, graph: dict[str, Any], errors: list[NodeError]) -> bool:
        uploaded = set(self._uploaded.values())
        for error in errors:
            node = graph.get(error.node_id) or {}
            value = node.get("inputs", {}).get(error.input) if isinstance(node, dict) else None
            if error.type == "value_not_in_list" and value in uploaded:
                return True
        return False

    def submit(
        self,
        graph: dict[str, Any],
        *,
        prompt_id: str | None = None,
        extra_data: Mapping[str, Any] | None = None,
        on_new_id: Callable[[str, str], None] | None = None,
    ) -> str:
        """POST /prompt with our own prompt_id (a canonical UUID); returns the id it was queued under.

        A 400, or a 200 whose node_errors is not empty, raises GraphRejected (the partly
        accepted prompt is withdrawn first). A request that may have reached the server (a
        broken connection, a proxy's 5xx) is never repeated under the same id — v0.25+ queues a
        repeated id twice: once the server is known not to hold it, the retry gets a fresh id,
        announced through `on_new_id(id, why)` before it is sent. A refused connection reached
        nobody and is retried as it was.
        """
        prompt_id = prompt_id or new_prompt_id()
        body: dict[str, Any] = {"prompt": graph, "client_id": self.client_id}
        if extra_data:
            body["extra_data"] = dict(extra_data)
        self._ws_connection()  # listen before queueing, so no event of this prompt is missed
        deadline = time.monotonic() + self.retry.total_seconds
        delay = self.retry.first_delay
        maybe_sent, failure = False, ""
        while True:
            if maybe_sent:
                known = self._known_or_none(prompt_id)
                if known:
                    return prompt_id
                if known is False:
                    prompt_id = new_prompt_id()
                    if on_new_id is not None:
                        on_new_id(prompt_id, f"resubmitted: queueing broke ({failure}) and "
                                             "the server does not hold the last id")  # fmt: skip
                    maybe_sent = False
            if not maybe_sent:
                try:
                    resp = self.http.post("/prompt", json={**body, "prompt_id": prompt_id})
                    if resp.status_code < 500:
                        break
                    failure, maybe_sent = f"HTTP {resp.status_code}", True
                except httpx.ConnectError as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                except httpx.TransportError as exc:
                    failure, maybe_sent = f"{type(exc).__name__}: {exc}", True
            if time.monotonic() + delay > deadline:
                raise ServerUnreachable(
                    f"could not queue the prompt ({failure})",
                    server=self.base_url,
                    prompt_id=prompt_id,
                )
            time.sleep(delay)
            delay = min(delay * 2, self.retry.max_delay)
        return self._accepted(resp, graph, prompt_id)

    def _known_or_none(self, prompt_id: str) -> bool | None:
        """Does the server hold the prompt? None when it cannot be asked right now."""
        try:
            return self.job(prompt_id) is not None
        except (ServerUnreachable, BadServerReply):
            return None

    def _accepted(self, resp: httpx.Response, graph: dict[str, Any], prompt_id: str) -> str:
        if resp.status_code in (401, 403):
            raise self._auth_refused(resp, "POST /prompt")
        try:
            reply = resp.json()
        except ValueError as exc:
            raise BadServerReply(
                f"POST /prompt answered HTTP {resp.status_code} without JSON", server=self.base_url
            ) from exc
        if resp.status_code == 200 and isinstance(reply, dict) and "prompt_id" in reply:
            if reply.get("node_errors"):
                self.cancel(prompt_id)
                errors = node_errors_from_reply(None, reply["node_errors"], graph)
                raise GraphRejected(
                    "", error_type=errors[0].type, node_errors=errors, server=self.base_url
                )
            return str(reply["prompt_id"])
        if resp.status_code == 400 and isinstance(reply, dict) and "error" in reply:
            error = reply.get("error") or {}
            errors = node_errors_from_reply(error, reply.get("node_errors") or {}, graph)
            kind = str(error.get("type", "")) if isinstance(error, dict) else ""
            if kind == "prompt_outputs_failed_validation" and errors:
                kind = errors[0].type
            raise GraphRejected(
                "", error_type=kind or "invalid_prompt", node_errors=errors, server=self.base_url
            )
        raise BadServerReply(
            f"POST /prompt answered HTTP {resp.status_code}: {str(reply)[:200]}",
            server=self.base_url,
        )

    def cancel(self, prompt_id: str) -> bool:
        """Withdraw a prompt: stop it if it runs, drop it if it waits; True when one was.

        v0.26+: the atomic cancel endpoint. Older servers: /queue delete while it waits, then
        /interrupt naming it if it has started meanwhile (/interrupt with a prompt_id stops
        only that prompt, never someone else's).
        """
        try:
            if self.capabilities().cancel_endpoint:
                resp = self._request("POST", f"/api/jobs/{prompt_id}/cancel", retry=False)
                body = self._json(resp, "POST /api/jobs/{id}/cancel")
                return bool(isinstance(body, dict) and body.get("cancelled"))
            view = self.job(prompt_id)
            if view is None or not view.waiting:
                return False
            if view.state == "pending":
                self._request("POST", "/queue", json={"delete": [prompt_id]}, retry=False)
                view = self.job(prompt_id)
            if view is not None and view.state == "in_progress":
                self._request("POST", "/interrupt", json={"prompt_id": prompt_id}, retry=False)
            return True
        except (ServerUnreachable, BadServerReply):
            return False

    def free(self, *, unload_models: bool = True, free_memory: bool = True) -> None:
        """POST /free: unload models and drop the node cache, so the next prompt really runs.

        The server applies it between prompts (ComfyUI: when its worker next wakes).
        """
        resp = self._request(
            "POST", "/free", json={"unload_models": unload_models, "free_memory": free_memory}
        )
        if resp.status_code != 200:
            raise BadServerReply(
                f"POST /free answered HTTP {resp.status_code}", server=self.base_url
            )

    # ------------------------------------------------------------------ waiting

    def history(self, prompt_id: str, *, retry: bool = True) -> HistoryEntry | None:
        """GET /history/{id} (never the unbounded /history): the entry, or None if not done."""
        resp = self._request("GET", f"/history/{prompt_id}", retry=retry)
        return parse_history_reply(prompt_id, self._json(resp, "GET /history/{id}"))

    def job(self, prompt_id: str) -> JobView | None:
        """Where the prompt is: pending, in_progress or finished (with its entry); None if unknown.

        The jobs API answers in one request; without it /queue, then /history (in that order,
        so a prompt finishing in between is still found).
        """
        if self.capabilities().jobs_api:
            resp = self._request("GET", f"/api/jobs/{prompt_id}")
            if resp.status_code == 404:
                return None
            return parse_job_reply(prompt_id, self._json(resp, "GET /api/jobs/{id}"))
        queue = self._json(self._request("GET", "/queue"), "GET /queue")
        state = queue_states(queue).get(prompt_id)
        if state is not None:
            return JobView(prompt_id, state, None, None)
        entry = self.history(prompt_id)
        if entry is None:
            return None
        return JobView(prompt_id, entry_state(entry), entry.created_ms, entry)

    def wait(
        self,
        prompt_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> HistoryEntry:
        """Block until the prompt has a result; raise on error/interrupt/loss/timeout.

        The socket only brings progress and the "look now" signal; a dropped or stalled socket
        falls back to polling. A server that cannot be asked raises ServerUnreachable (the
        prompt may live on: the journal re-attaches later), never PromptLost. Ctrl-C cancels
        the prompt on the server.
        """
        policy = self.wait_policy
        deadline = time.monotonic() + (timeout if timeout is not None else policy.timeout)
        interval = policy.poll_interval
        try:
            while True:
                view = self.job(prompt_id)
                if view is None:
                    raise PromptLost(
                        "the server no longer knows this prompt (restarted?)",
                        server=self.base_url,
                        prompt_id=prompt_id,
                    )
                if view.entry is not None:
                    self._drain(prompt_id, on_progress)
                    return self._outcome(view.entry)
                if time.monotonic() > deadline:
                    raise TimedOut(
                        f"no result after {timeout or policy.timeout:.0f} s",
                        server=self.base_url,
                        prompt_id=prompt_id,
                    )
                listen_until = min(deadline, time.monotonic() + policy.ws_stall_seconds)
                outcome = self._listen(prompt_id, on_progress, listen_until)
                if outcome == "ended":
                    interval = policy.poll_interval
                elif outcome == "no-socket":
                    time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
                    interval = min(interval * 1.5, policy.max_poll_interval)
        except KeyboardInterrupt:
            self.cancel(prompt_id)
            raise

    def _drain(self, prompt_id: str, on_progress: ProgressCallback | None) -> None:
        """A job faster than our first look leaves its progress frames queued: deliver them."""
        if self._ws is not None and on_progress is not None:
            self._listen(prompt_id, on_progress, time.monotonic() + 0.25)

    def _ws_connection(self) -> ClientConnection | None:
        if self._ws is not None:
            return self._ws
        if time.monotonic() - self._ws_failed_at < self.wait_policy.ws_retry_seconds:
            return None
        ws_url = "ws" + self.base_url[4:] if self.base_url.startswith("http") else self.base_url
        try:
            self._ws = connect(
                f"{ws_url}/ws?clientId={self.client_id}",
                additional_headers=self.headers or None,
                open_timeout=2.0,
                close_timeout=0.2,
                proxy=None,
                max_size=None,
                max_queue=None,
                compression=None,
                legacy=True,  # a long-lived socket, not a context-managed one
            )
        except (OSError, WebSocketException, TimeoutError):
            self._ws_failed_at = time.monotonic()
            self._ws = None
        return self._ws

    def _drop_ws(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                self._ws.close()
        self._ws = None
        self._ws_failed_at = time.monotonic()

    def _listen(self, prompt_id: str, on_progress: ProgressCallback | None, until: float) -> str:
        """Read socket frames until this prompt ends ("ended"), a stall ("stalled") or none."""
        ws = self._ws_connection()
        if ws is None:
            return "no-socket"
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return "stalled"
            try:
                frame = ws.recv(timeout=remaining)
            except TimeoutError:
                return "stalled"
            except (WebSocketException, OSError):
                self._drop_ws()
                return "no-socket"
            event = parse_ws_message(frame)
            if event is None:
                continue
            if event.type == "progress" and event.prompt_id == prompt_id and on_progress:
                on_progress(
                    int(event.data.get("value", 0)),
                    int(event.data.get("max", 0)),
                    event.data.get("node"),
                )
            if event.ends(prompt_id):
                return "ended"

    def _outcome(self, entry: HistoryEntry) -> HistoryEntry:
        if entry.status == "success":
            return entry
        graph = entry.graph
        if entry.interrupted is not None:
            node_id = str(entry.interrupted.get("node_id") or "")
            raise Interrupted(
                "the prompt was interrupted",
                server=self.base_url,
                prompt_id=entry.prompt_id,
                node_title=node_title(graph, node_id) if node_id else None,
            )
        err = entry.error or {}
        node_id = str(err.get("node_id") or "")
        exc_type = str(err.get("exception_type", ""))
        exc_msg = " ".join(str(err.get("exception_message", "")).split())
        raise ExecutionFailed(
            f"{err.get('node_type', 'a node')} failed: {exc_type}: {exc_msg}",
            node_id=node_id,
            node_type=str(err.get("node_type", "")),
            exception_type=exc_type,
            exception_message=exc_msg,
            server=self.base_url,
            prompt_id=entry.prompt_id,
            node_title=node_title(graph, node_id) if node_id else None,
        )

    # ------------------------------------------------------------------ files

    def fetch(self, outputs: list[OutputImage], dest_dir: str | Path) -> list[FetchedImage]:
        """Download every output via /view into dest_dir, atomically, with sha256 and size."""
        dest = Path(dest_dir)
        fetched: list[FetchedImage] = []
        taken: set[str] = set()
        for out in outputs:
            name = Path(out.filename).name
            if name in taken:
                name = f"{out.node}-{name}"
            taken.add(name)
            fetched.append(self._fetch_one(out, dest / name))
        return fetched

    def _fetch_one(self, out: OutputImage, target: Path) -> FetchedImage:
        params = {"filename": out.filename, "subfolder": out.subfolder, "type": out.type}
        resp = self._request("GET", "/view", params=params)
        if resp.status_code != 200:
            raise BadServerReply(
                f"output {out.subfolder}/{out.filename} is gone (HTTP {resp.status_code})",
                server=self.base_url,
                fix="the server's output file was removed; change the seed or clear its cache",
            )
        data = resp.content
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
        return FetchedImage(
            path=str(target),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            node=out.node,
            filename=out.filename,
            subfolder=out.subfolder,
            type=out.type,
        )

    # ------------------------------------------------------------------ the whole job

    def run(
        self,
        graph: dict[str, Any],
        inputs: Mapping[str, str | Path] | None,
        dest: str | Path,
        *,
        job_key: str | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> RunRecord:
        """upload → validate → submit (journalled) → wait → fetch, re-attaching when it can."""
        began = time.monotonic()
        graph = copy.deepcopy(graph)
        before = self.health()
        uploads = self._bind_inputs(graph, inputs or {})
        self.validate(graph)
        sha = graph_sha256(graph)
        key = job_key or sha
        entry, reattached = self._job_entry(key, sha)
        lost_once = False
        try:
            while True:
                if entry.state == "new":
                    self._submit_journalled(entry, graph, "first")
                elif entry.state == "lost":
                    self._submit_journalled(entry, graph, "resubmitted: the server lost it")
                try:
                    done = self.wait(entry.prompt_id or "", on_progress=on_progress,
                                     timeout=timeout)  # fmt: skip
                    break
                except PromptLost:
                    if lost_once:
                        self.journal.mark(entry, "failed", "lost again after resubmission")
                        raise
                    lost_once = True
                    self.journal.mark(entry, "lost", f"prompt {entry.prompt_id} lost")
                except (ExecutionFailed, Interrupted) as exc:
                    self.journal.mark(entry, "failed", exc.one_line())
                    raise
        except KeyboardInterrupt:
            if entry.prompt_id:
                self.cancel(entry.prompt_id)
                self.journal.mark(entry, "cancelled", f"cancelled {entry.prompt_id} (Ctrl-C)")
            raise
        images = self.fetch(done.outputs, dest)
        self.journal.mark(entry, "done")
        after = self.health()
        return RunRecord(
            job_key=key,
            prompt_id=done.prompt_id,
            prompt_ids=[a.prompt_id for a in entry.attempts],
            submissions=[Submission(**asdict(a)) for a in entry.attempts],
            server=before,
            vram_free_before=before.vram_free,
            vram_free_after=after.vram_free,
            timings=self._timings(done, entry, began),
            outputs=images,
            uploads=uploads,
            reattached=reattached,
            resubmitted=entry.resubmitted,
            cached=done.fully_cached,
        )

    def _timings(self, done: HistoryEntry, entry: JobEntry, began: float) -> Timings:
        """queued ≤ started ≤ finished, re-attached or not.

        Queued is the server's create_time where it reports one (same clock as started and
        finished), else when the journal saw the server accept it — clamped to started, as a
        remote server's clock may run behind ours.
        """
        started = done.started_ms / 1000 if done.started_ms else None
        finished = done.finished_ms / 1000 if done.finished_ms else None
        attempt = entry.attempts[-1] if entry.attempts else None
        if done.created_ms:
            queued = done.created_ms / 1000
        elif attempt is not None:
            queued = attempt.accepted_at or attempt.submitted_at
        else:
            queued = time.time()
        if started is not None:
            queued = min(queued, started)
        return Timings(
            queued_at=queued,
            started_at=started,
            finished_at=finished,
            server_seconds=done.execution_seconds,
            wall_seconds=time.monotonic() - began,
        )

    def _bind_inputs(
        self, graph: dict[str, Any], inputs: Mapping[str, str | Path]
    ) -> dict[str, str]:
        """Upload each input file and point the node titled like its key at the server's name."""
        uploads: dict[str, str] = {}
        for title, path in inputs.items():
            nodes = [n for n in graph.values() if node_title_of(n) == title]
            if not nodes or any("image" not in n.get("inputs", {}) for n in nodes):
                raise GraphRejected(
                    "",
                    error_type="missing_input_slot",
                    node_errors=[
                        NodeError(
                            "",
                            "",
                            title,
                            "image",
                            "missing_input_slot",
                            f"no LoadImage/LoadImageMask node titled '{title}'",
                            "title the node's _meta.title like the input key",
                        )
                    ],
                    server=self.base_url,
                )
            name = self.upload(path)
            for node in nodes:
                node["inputs"]["image"] = name
            uploads[title] = name
        return uploads

    def _job_entry(self, key: str, sha: str) -> tuple[JobEntry, bool]:
        """The journal entry to continue: re-attach to a live or succeeded prompt, else fresh.

        A prompt the server does not know is "lost" (sent again under a new id); one that
        failed or was cancelled starts over. A server that cannot be asked raises: never
        guess, or a prompt still alive would run twice.
        """
        entry = self.journal.load(key)
        fresh = JobEntry(job_key=key, server=self.base_url, graph_sha256=sha)
        if entry is None or entry.server != self.base_url or entry.graph_sha256 != sha:
            return fresh, False
        if not entry.prompt_id:
            return fresh, False
        view = self.job(entry.prompt_id)
        alive = view is not None and (view.waiting or view.state == "completed")
        if alive:
            self.journal.mark(entry, "submitted", f"re-attached to {entry.prompt_id}")
            return entry, True
        if view is None and entry.state in ("submitting", "submitted", "lost"):
            self.journal.mark(entry, "lost", f"prompt {entry.prompt_id} unknown to the server")
            return entry, False
        return fresh, False

    def _submit_journalled(self, entry: JobEntry, graph: dict[str, Any], reason: str) -> None:
        """A fresh id, journalled before it is sent; "submitted" once the server queued it."""
        prompt_id = new_prompt_id()
        self.journal.record_attempt(entry, prompt_id, reason)
        accepted = self.submit(
            graph,
            prompt_id=prompt_id,
            on_new_id=lambda pid, why: self.journal.record_attempt(entry, pid, why),
        )
        entry.attempts[-1].accepted_at = time.time()
        self.journal.mark(entry, "submitted", f"queued {accepted}")


def new_prompt_id() -> str:
    """A canonical lowercase hyphenated UUID: the only client-chosen id v0.25+ accepts."""
    return str(uuid.uuid4())


def _is_json_error(resp: httpx.Response) -> bool:
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "error" in body


def node_title_of(node: Any) -> str | None:
    meta = node.get("_meta") if isinstance(node, dict) else None
    return meta.get("title") if isinstance(meta, dict) else None
