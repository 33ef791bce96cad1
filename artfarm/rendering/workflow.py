"""Workflow templates (`workflows/*.json`, ComfyUI API format) and the graph edits the compiler makes.

A template is a graph a user can load in ComfyUI. Its parameter slots are nodes whose
`_meta.title` is a lowercase identifier (`sampler`, `positive`, `save`, ...): titles survive a
user editing the graph and exporting it again, node ids do not. Other titles (ComfyUI's own
defaults like "VAE Decode") are free text and never slots.

Node ids mean nothing to artfarm: `canonical_graph` names every node by what it computes, so
renumbering a template changes no request hash.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artfarm.problems import ArtfarmError, Problem

Graph = dict[str, dict[str, Any]]
SlotValues = Mapping[str, Mapping[str, Any]]

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"
SLOT_TITLE = re.compile(r"^[a-z][a-z0-9_]*$")

# Well-known custom nodes → the pack that provides them, so "node X is missing" says what to install.
CUSTOM_NODE_PACKS: dict[str, str] = {
    "IPAdapterUnifiedLoader": "ComfyUI_IPAdapter_plus (cubiq)",
    "IPAdapterAdvanced": "ComfyUI_IPAdapter_plus (cubiq)",
    "IPAdapterModelLoader": "ComfyUI_IPAdapter_plus (cubiq)",
    "IPAdapter": "ComfyUI_IPAdapter_plus (cubiq)",
    "UltimateSDUpscale": "ComfyUI_UltimateSDUpscale (ssitu)",
    "TiledDiffusion": "ComfyUI-TiledDiffusion (shiimizu)",
    "VAEEncodeTiled_TiledDiffusion": "ComfyUI-TiledDiffusion (shiimizu)",
    "VAEDecodeTiled_TiledDiffusion": "ComfyUI-TiledDiffusion (shiimizu)",
    "LineArtPreprocessor": "comfyui_controlnet_aux (Fannovel16)",
    "DepthAnythingPreprocessor": "comfyui_controlnet_aux (Fannovel16)",
    "CannyEdgePreprocessor": "comfyui_controlnet_aux (Fannovel16)",
    "InstantIDModelLoader": "ComfyUI_InstantID (cubiq)",
    "FaceDetailer": "ComfyUI-Impact-Pack (ltdrdata)",
}


@dataclass(frozen=True)
class Template:
    """A loaded template: its name (`draft`, `variants/draft_ipadapter`), file and graph."""

    name: str
    path: Path
    graph: Graph

    def slots(self) -> dict[str, str]:
        """Slot title → node id."""
        return {t: nid for nid, t in titles(self.graph).items() if SLOT_TITLE.match(t)}


def titles(graph: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Node id → title, for the nodes that carry one."""
    found = {}
    for nid, node in graph.items():
        meta = node.get("_meta")
        if isinstance(meta, Mapping) and isinstance(meta.get("title"), str):
            found[nid] = meta["title"]
    return found


def is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _problem(source: str, field: str, problem: str, fix: str) -> Problem:
    return Problem(source, field, problem, fix)


def load_template(name: str, directory: Path | None = None) -> Template:
    """Read `<directory>/<name>.json` and check its shape (nodes, links, unique slot titles)."""
    path = (directory or WORKFLOWS_DIR) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtfarmError.single(
            str(path), "", "workflow template does not exist", "restore it from git"
        ) from None
    except json.JSONDecodeError as err:
        raise ArtfarmError.single(
            str(path),
            f"line {err.lineno}, column {err.colno}",
            f"invalid JSON: {err.msg}",
            "fix the JSON, or export the workflow again from ComfyUI (Export (API))",
        ) from None
    return parse_template(name, path, data)


def parse_template(name: str, path: Path, data: Any) -> Template:
    source = str(path)
    if not isinstance(data, dict) or not data:
        raise ArtfarmError.single(
            source,
            "",
            "a template is a non-empty API-format graph {node_id: {class_type, inputs}}",
            "export the workflow from ComfyUI with Export (API)",
        )
    problems = []
    for nid, node in data.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            problems.append(_problem(source, f"node {nid}", "node has no class_type", "re-export"))
            continue
        if not isinstance(node.get("inputs", {}), dict):
            problems.append(_problem(source, f"node {nid}", "inputs is not an object", "re-export"))
            continue
        for input_name, value in node.get("inputs", {}).items():
            if is_link(value) and value[0] not in data:
                problems.append(
                    _problem(
                        source,
                        f"node {nid}.{input_name}",
                        f"links to node {value[0]!r}, which is not in the graph",
                        "reconnect the input in ComfyUI and export again",
                    )
                )
    problems.extend(_duplicate_titles(source, data))
    if problems:
        raise ArtfarmError(problems)
    return Template(name, path, data)


def _duplicate_titles(source: str, graph: Graph) -> list[Problem]:
    seen: dict[str, list[str]] = {}
    for nid, title in titles(graph).items():
        if SLOT_TITLE.match(title):
            seen.setdefault(title, []).append(nid)
    return [
        _problem(
            source,
            title,
            f"slot title {title!r} is on {len(ids)} nodes ({', '.join(sorted(ids))})",
            "give each slot title to exactly one node (rename the others in ComfyUI)",
        )
        for title, ids in sorted(seen.items())
        if len(ids) > 1
    ]


# ------------------------------------------------------------------------------- filling slots


def fill_slots(
    template: Template, values: SlotValues, optional: Iterable[str] = ()
) -> tuple[Graph, list[Problem]]:
    """A copy of the template with every slot filled; problems for any slot mismatch.

    `values` maps slot title → {input name: value}; an empty mapping means the stage uses the
    node structurally (links only). Titles in `optional` may be absent from the template.
    """
    source = str(template.path)
    graph = copy.deepcopy(template.graph)
    slots = template.slots()
    optional = set(optional)
    problems: list[Problem] = []
    for title in sorted(set(values) - set(slots) - optional):
        problems.append(
            _problem(
                source,
                title,
                f"the template has no node titled {title!r} (a slot this stage fills)",
                f"title the node that takes this value {title!r} in ComfyUI and export again",
            )
        )
    for title in sorted(set(slots) - set(values)):
        problems.append(
            _problem(
                source,
                title,
                f"the template declares slot {title!r}, which the {template.name} stage does not fill",
                "rename the node (slot titles are lowercase identifiers) or remove it",
            )
        )
    for title, inputs in values.items():
        if title in slots:
            node = graph[slots[title]]
            problems.extend(_fill_node(source, title, node, inputs))
    return graph, problems


def _fill_node(source: str, title: str, node: dict[str, Any], values: Mapping[str, Any]):
    problems = []
    inputs = node.setdefault("inputs", {})
    for name, value in values.items():
        field = f"{title}.{name}"
        if name not in inputs:
            problems.append(
                _problem(
                    source,
                    field,
                    f"node {title!r} ({node['class_type']}) has no input {name!r}",
                    f"use a {node['class_type']} node that sets {name!r}, as in the stock template",
                )
            )
            continue
        current = inputs[name]
        if is_link(current):
            problems.append(
                _problem(
                    source,
                    field,
                    f"input {name!r} is linked to another node; artfarm fills it with a value",
                    "convert the input back to a widget in ComfyUI and export again",
                )
            )
            continue
        converted, error = coerce(current, value)
        if error:
            problems.append(_problem(source, field, error, "keep the template's value type"))
            continue
        inputs[name] = converted
    return problems


def value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, str):
        return "STRING"
    return type(value).__name__


def coerce(template_value: Any, value: Any) -> tuple[Any, str | None]:
    """The value as the template's type (INT stays INT, an int may fill a FLOAT), or an error."""
    want, got = value_kind(template_value), value_kind(value)
    if want == got:
        return value, None
    if want == "FLOAT" and got == "INT":
        return float(value), None
    return value, f"expects a {want} (the template holds {template_value!r}), got {got} {value!r}"


# ------------------------------------------------------------------------------- graph edits


def next_id(graph: Graph) -> str:
    numbers = [int(n) for n in graph if n.isdigit()]
    return str(max(numbers, default=0) + 1)


def consumers(graph: Graph, link: list[Any]) -> list[tuple[str, str]]:
    """(node id, input name) of every input linked to `link`."""
    return [
        (nid, name)
        for nid, node in graph.items()
        for name, value in node.get("inputs", {}).items()
        if is_link(value) and value == link
    ]


def rewire(graph: Graph, old: list[Any], new: list[Any], skip: Iterable[str] = ()) -> None:
    skip = set(skip)
    for nid, name in consumers(graph, old):
        if nid not in skip:
            graph[nid]["inputs"][name] = list(new)


def add_node(graph: Graph, class_type: str, title: str, **inputs: Any) -> str:
    nid = next_id(graph)
    graph[nid] = {"class_type": class_type, "inputs": inputs, "_meta": {"title": title}}
    return nid


def insert_loras(graph: Graph, loader: str, loras: Iterable[tuple[str, float, float]]) -> list[str]:
    """Chain LoraLoaders after the checkpoint `loader`: every MODEL/CLIP consumer gets the chain's end."""
    model, clip = [loader, 0], [loader, 1]
    model_users = consumers(graph, model)
    clip_users = consumers(graph, clip)
    added = []
    for i, (name, strength_model, strength_clip) in enumerate(loras, start=1):
        nid = add_node(
            graph,
            "LoraLoader",
            f"LoRA {i}: {name}",
            model=model,
            clip=clip,
            lora_name=name,
            strength_model=float(strength_model),
            strength_clip=float(strength_clip),
        )
        model, clip = [nid, 0], [nid, 1]
        added.append(nid)
    if added:
        for nid, name in model_users:
            graph[nid]["inputs"][name] = list(model)
        for nid, name in clip_users:
            graph[nid]["inputs"][name] = list(clip)
    return added


def insert_vae(graph: Graph, loader: str, vae_name: str) -> str:
    """A VAELoader replacing the checkpoint's own VAE everywhere it is used."""
    old = [loader, 2]
    users = consumers(graph, old)
    nid = add_node(graph, "VAELoader", "VAE", vae_name=vae_name)
    for user, name in users:
        graph[user]["inputs"][name] = [nid, 0]
    return nid


def bypass(graph: Graph, node_id: str, through: str) -> None:
    """Remove a node, handing its consumers what fed its `through` input (e.g. skip an upscaler)."""
    source = graph[node_id]["inputs"][through]
    rewire(graph, [node_id, 0], source)
    del graph[node_id]


def unplug(graph: Graph, names: Iterable[str]) -> Graph:
    """A copy without the nodes titled `names` (e.g. reference slots a page leaves empty).

    A node left with no linked input (a scale of a removed image) goes too; any other node
    just loses the inputs that linked to a removed node (optional inputs such as ImageStitch's
    image2 or TextEncodeQwenImageEditPlus's image3).
    """
    graph = copy.deepcopy(graph)
    wanted = set(names)
    doomed = {nid for nid, title in titles(graph).items() if title in wanted}
    while True:
        more = set()
        for nid, node in graph.items():
            links = [v for v in node["inputs"].values() if is_link(v)]
            if nid not in doomed and links and all(v[0] in doomed for v in links):
                more.add(nid)
        if not more:
            break
        doomed |= more
    for nid in doomed:
        del graph[nid]
    for node in graph.values():
        dead = [k for k, v in node["inputs"].items() if is_link(v) and v[0] in doomed]
        for name in dead:
            del node["inputs"][name]
    return graph


def prune_unreachable(graph: Graph, outputs: Iterable[str]) -> None:
    """Drop nodes no output depends on (ComfyUI ignores them; the request must too)."""
    keep: set[str] = set()
    stack = list(outputs)
    while stack:
        nid = stack.pop()
        if nid in keep or nid not in graph:
            continue
        keep.add(nid)
        stack.extend(v[0] for v in graph[nid].get("inputs", {}).values() if is_link(v))
    for nid in list(graph):
        if nid not in keep:
            del graph[nid]


def missing_nodes(graph: Graph, object_info: Mapping[str, Any], source: str) -> list[Problem]:
    """Nodes the server lacks, each naming the custom node pack that provides it."""
    problems = []
    for class_type in sorted({node["class_type"] for node in graph.values()}):
        if class_type in object_info:
            continue
        pack = CUSTOM_NODE_PACKS.get(class_type)
        fix = (
            f"install the custom node pack {pack} in ComfyUI's custom_nodes and restart it"
            if pack
            else "install the custom node pack that provides it, or use the default workflow"
        )
        problems.append(_problem(source, class_type, f"the server has no node {class_type!r}", fix))
    return problems


# ------------------------------------------------------------------------------- canonical form


def canonical_graph(graph: Graph) -> dict[str, Any]:
    """The graph with every node named by a hash of what it computes (ids and titles dropped).

    A node's name covers its class, literal inputs and (recursively) the names of the nodes it
    links to, so two graphs that differ only by node numbering or titles are equal here.
    """
    from artfarm.rendering.contenthash import sha256_json

    names: dict[str, str] = {}
    nodes: dict[str, Any] = {}

    def visit(nid: str, path: tuple[str, ...]) -> str:
        if nid in names:
            return names[nid]
        if nid in path:
            raise ValueError(f"the graph has a cycle through node {nid}")
        node = graph[nid]
        inputs = {}
        for name, value in node.get("inputs", {}).items():
            inputs[name] = [visit(value[0], (*path, nid)), value[1]] if is_link(value) else value
        body = {"class_type": node["class_type"], "inputs": inputs}
        names[nid] = sha256_json(body)[:20]
        nodes[names[nid]] = body
        return names[nid]

    for nid in graph:
        visit(nid, ())
    # A plain-JSON copy (tuples become lists), keys sorted; the C encoder's compact spelling
    # gives the same value as canonical_json's indented one, several times faster.
    return json.loads(json.dumps(nodes, sort_keys=True, ensure_ascii=False, allow_nan=False))
