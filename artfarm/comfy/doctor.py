"""`artfarm comfyui doctor`: is this server fit to render this book? One line per finding.

Checks, in order: the server answers; its version lies in the range artfarm is tested
against; it has every node class the book's workflows need (a missing one names its custom
node pack); it lists every model the book pins; the model store's files still have the sha256
the book's lock records; it listens on loopback only (ComfyUI has no authentication); its
launch flags fit (device as configured, no VRAM mode on a GPU, CORS, previews). Everything is
read from the server's own answers: /system_stats (version, devices, argv) and /object_info.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import httpx

from artfarm.comfy.capabilities import parse_version
from artfarm.comfy.client import ComfyClient
from artfarm.comfy.errors import ComfyError
from artfarm.comfy.loopback import is_loopback
from artfarm.comfy.objectinfo import combo_options, input_spec
from artfarm.documents.book import Book
from artfarm.documents.settings import Settings
from artfarm.rendering.compiler import TEMPLATES
from artfarm.rendering.families import (
    REFERENCE_STAGES,
    family_template,
    stage_tier,
    tier_family,
    tier_pin,
)
from artfarm.rendering.modelstore import (
    ModelRef,
    ModelStore,
    book_pins,
    mismatch_problem,
    missing_problems,
    read_lock,
)
from artfarm.rendering.workflow import CUSTOM_NODE_PACKS, WORKFLOWS_DIR, load_template

TESTED = ((0, 3, 64), (0, 36, 999))  # the contract suite's recordings: 0.3.64 and v0.36
TESTED_TEXT = "0.3.64 – 0.36.x"
MODEL_LISTS = {  # store folder → (loader node, its input), as ComfyUI lists the folder
    "checkpoints": ("CheckpointLoaderSimple", "ckpt_name"),
    "loras": ("LoraLoader", "lora_name"),
    "vae": ("VAELoader", "vae_name"),
    "controlnet": ("ControlNetLoader", "control_net_name"),
    "upscale_models": ("UpscaleModelLoader", "model_name"),
    "clip_vision": ("CLIPVisionLoader", "clip_name"),
    "diffusion_models": ("UNETLoader", "unet_name"),
    "text_encoders": ("CLIPLoader", "clip_name"),
    "style_models": ("StyleModelLoader", "style_model_name"),
}
VRAM_FLAGS = ("--gpu-only", "--highvram", "--normalvram", "--lowvram", "--novram")
UPSCALE_MODEL_NODES = {"UpscaleModelLoader", "ImageUpscaleWithModel"}


@dataclass(frozen=True)
class Finding:
    """One checked fact: fine, or a problem with the fix."""

    check: str
    ok: bool
    text: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok       {self.check}: {self.text}"
        return f"PROBLEM  {self.check}: {self.text} (fix: {self.fix})"

    def record(self) -> dict[str, Any]:
        return asdict(self)


def diagnose(
    settings: Settings, url: str, headers: dict[str, str], book: Book | None
) -> list[Finding]:
    """Every finding for `url` (and `book`, when given)."""
    with ComfyClient(url, headers=headers) as client:
        try:
            stats = client.http.get("/system_stats").json()
            info = client.object_info(refresh=True)
        except (httpx.HTTPError, ComfyError, ValueError) as exc:
            reason = getattr(exc, "message", "") or type(exc).__name__
            return [
                Finding(
                    "server",
                    False,
                    f"{url} does not answer GET /system_stats and /object_info ({reason})",
                    "start it (`artfarm comfyui start`), or correct servers: in config.yaml",
                )
            ]
    system = stats.get("system", {}) if isinstance(stats, dict) else {}
    argv = [str(a) for a in system.get("argv", []) or []]
    findings = [version_finding(str(system.get("comfyui_version", "")))]
    findings += node_findings(info, needed_nodes(book))
    if book is not None:
        findings += model_findings(info, book)
        findings += lock_findings(book, ModelStore(settings.models_path))
    findings += listen_findings(url, argv, bool(headers))
    findings += flag_findings(
        settings, argv, stats.get("devices", []) if isinstance(stats, dict) else []
    )
    return findings


def version_finding(version: str) -> Finding:
    parsed = parse_version(version)
    if parsed is not None and TESTED[0] <= parsed <= TESTED[1]:
        return Finding("version", True, f"ComfyUI {version} (tested: {TESTED_TEXT})")
    return Finding(
        "version",
        False,
        f"ComfyUI {version or '(no version)'} is outside the tested range {TESTED_TEXT}",
        "run the contract suite against it (ARTFARM_COMFYUI_URL=<url> pytest tests/comfy), "
        "or use a tested version",
    )


def needed_nodes(book: Book | None) -> set[str]:
    """Node classes the stages' graphs use: for a book, each stage's graph on its tier's
    family, with what the compiler inserts there (see `stage_nodes`)."""
    if book is None:
        return {n for name in TEMPLATES.values() for n in template_nodes(name)}
    return {n for stage, name in TEMPLATES.items() for n in stage_nodes(book, stage, name)}


def template_nodes(name: str) -> set[str]:
    return {node["class_type"] for node in load_template(name).graph.values()}


def stage_nodes(book: Book, stage: str, name: str) -> set[str]:
    """One stage's node classes on the family its tier pins: LoRAs, an extra VAE and
    ControlNet join only a checkpoint family's graphs, Redux only a reference family's."""
    tier = stage_tier(stage)
    family, pin = tier_family(book, tier), tier_pin(book, tier)
    nodes = template_nodes(family_template(book, stage, name, WORKFLOWS_DIR))
    if stage == "upscale" and not book.config.models.upscaler:
        nodes -= UPSCALE_MODEL_NODES
    if family.checkpoint:
        if book.style_pack.spec.loras:
            nodes.add("LoraLoader")
        if pin.vae:
            nodes.add("VAELoader")
        if stage == "refine" and book.style_pack.spec.controlnet is not None:
            nodes |= {"ControlNetLoader", "ControlNetApplyAdvanced"}
    elif stage in REFERENCE_STAGES and pin.style_model and pin.clip_vision:  # Redux
        nodes |= {"LoadImage", "CLIPVisionLoader", "CLIPVisionEncode", "StyleModelLoader"}
        nodes.add("StyleModelApply")
    return nodes


def node_findings(info: dict[str, Any], needed: set[str]) -> list[Finding]:
    missing = sorted(needed - set(info))
    findings = [
        Finding(
            "nodes",
            False,
            f"the server has no node {name!r}"
            + (f" (custom node pack {CUSTOM_NODE_PACKS[name]})" if name in CUSTOM_NODE_PACKS else
               " (a core node: the server is older or was started without it)"),
            f"install {CUSTOM_NODE_PACKS[name]} in ComfyUI's custom_nodes and restart it"
            if name in CUSTOM_NODE_PACKS else "update ComfyUI, then restart it",
        )
        for name in missing
    ]  # fmt: skip
    if not missing:
        findings.append(Finding("nodes", True, f"all {len(needed)} node classes the workflows use"))
    return findings


def listed_models(info: dict[str, Any], folder: str) -> list[str] | None:
    node, name = MODEL_LISTS[folder]
    if node not in info:
        return None
    try:
        kind, _, opts = input_spec(info[node], name)
    except KeyError:
        return None
    return [str(v) for v in combo_options(kind, opts) or []]


def served_pins(book: Book) -> dict[str, ModelRef]:
    """The pins a graph of this book loads: LoRAs and ControlNet only reach a checkpoint
    family's graphs (sd15, sdxl), so a book of diffusion-model tiers needs neither served."""
    pins = book_pins(book)
    if any(tier_family(book, tier).checkpoint for tier in ("draft", "final")):
        return pins
    return {k: v for k, v in pins.items() if not k.startswith("lora:") and k != "controlnet"}


def model_findings(info: dict[str, Any], book: Book) -> list[Finding]:
    findings = []
    for ref in sorted(set(served_pins(book).values())):
        listed = listed_models(info, ref.folder)
        if listed is None:
            continue  # its loader node is missing: reported under nodes
        if ref.name in listed:
            findings.append(Finding("models", True, f"the server lists {ref.key}"))
        else:
            findings.append(
                Finding(
                    "models",
                    False,
                    f"the book pins {ref.key}; the server does not list it",
                    "put the file in the model store and let ComfyUI read the store "
                    "(`artfarm comfyui paths`, then restart it), or pin a model it has",
                )
            )
    return findings


def lock_findings(book: Book, store: ModelStore) -> list[Finding]:
    refs = sorted(set(book_pins(book).values()))
    absent = missing_problems(book, store, refs)
    findings = [Finding("lock", False, p.problem, p.fix) for p in absent]
    present = [r for r in refs if store.path(r).is_file()]
    locked = read_lock(book)
    current = store.hashes(present)
    for ref in present:
        findings.append(_lock_finding(book, ref, locked.get(ref.key), current[ref.key]))
    return findings


def _lock_finding(book: Book, ref: ModelRef, locked: str | None, actual: str) -> Finding:
    if locked is None:
        return Finding(
            "lock",
            False,
            f"the book's lock has no sha256 for {ref.key}",
            f"run `artfarm models lock --book {book.root}`",
        )
    if locked != actual:
        problem = mismatch_problem(book, ref.key, locked, actual)
        return Finding("lock", False, problem.problem, problem.fix)
    return Finding("lock", True, f"{ref.key} has the locked sha256 {actual[:12]}…")


def listen_addresses(argv: list[str]) -> list[str]:
    """What ComfyUI listens on, from its command line (its default: 127.0.0.1)."""
    for i, word in enumerate(argv):
        if word == "--listen":
            value = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("--") else ""
            return (value or "0.0.0.0,::").split(",")
        if word.startswith("--listen="):
            return word.split("=", 1)[1].split(",")
    return ["127.0.0.1"]


def listen_findings(url: str, argv: list[str], proxied: bool) -> list[Finding]:
    exposed = [a for a in listen_addresses(argv) if not is_loopback(a)]
    if not exposed:
        return [Finding("listen", True, "loopback only")]
    text = f"ComfyUI listens on {', '.join(exposed)}: anyone who reaches it can run and read jobs"
    if proxied:
        text += " (artfarm sends headers for a proxy, but ComfyUI itself checks none)"
    return [
        Finding(
            "listen",
            False,
            text,
            "restart it with --listen 127.0.0.1 (`artfarm comfyui start` does) and reach it "
            "through an authenticating reverse proxy",
        )
    ]


def flag_findings(settings: Settings, argv: list[str], devices: list[Any]) -> list[Finding]:
    if not argv:
        return [Finding("flags", True, "the server does not report its command line")]
    findings = []
    kinds = {str(d.get("type", "")) for d in devices if isinstance(d, dict)}
    on_cpu = kinds == {"cpu"} or "--cpu" in argv
    wanted = settings.comfyui.device
    if on_cpu and wanted != "cpu" and _is_comfyui(argv):
        findings.append(
            Finding(
                "flags",
                False,
                f"the server computes on the CPU; config says device {wanted}",
                "start it on the GPU, or set comfyui.device: cpu",
            )
        )
    if not on_cpu and not any(f in argv for f in VRAM_FLAGS):
        findings.append(
            Finding(
                "flags",
                False,
                "no VRAM mode on a GPU server: models unload between jobs",
                "restart with --highvram (`artfarm comfyui start` does)",
            )
        )
    if any(a.startswith("--enable-cors-header") for a in argv):
        findings.append(
            Finding(
                "flags",
                False,
                "--enable-cors-header lets any web page drive the server",
                "restart without --enable-cors-header",
            )
        )
    preview = _value(argv, "--preview-method")
    if preview not in (None, "none"):
        findings.append(
            Finding(
                "flags",
                False,
                f"--preview-method {preview} decodes a preview every step",
                "restart with --preview-method none",
            )
        )
    if not findings:
        findings.append(Finding("flags", True, " ".join(argv[1:])[:200] or "defaults"))
    return findings


def _is_comfyui(argv: list[str]) -> bool:
    return any(a.endswith("main.py") for a in argv[:2])


def _value(argv: list[str], flag: str) -> str | None:
    for i, word in enumerate(argv):
        if word == flag and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(flag + "="):
            return word.split("=", 1)[1]
    return None
