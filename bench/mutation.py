"""Mutation score of the modules that guard the README's promises (a standing measure, not CI).

Each mutant is one small change to one module — a comparison flipped, `and`/`or` swapped, a
`not` dropped, a constant nudged, a return value replaced by None, a call statement removed —
run against the fast tests that cover that module. A mutant the tests fail on is killed; one
they pass is a survivor: a behaviour no test pins down (or an equivalent change, to be
explained). Prints the score per module and every survivor.

Mutants run in a scratch copy of the repo (never in your work tree), one at a time, one module
after another: `python bench/mutation.py [module ...] [--json out.json]`. A small AST mutator
rather than mutmut: it needs no config, mutates only the named functions of a module (the
re-attach parts of the client), and runs subprocesses (CLI, scripts) against the mutant too.

Speed: a first, traced run of the module's tests records which test runs which of its lines, in
the test process and in every Python process a test starts (bench/mutation_trace.py). Each
mutant then runs only the tests that reach its lines, quickest first, stopping at the first
failure; a mutant no test reaches (module constants, default arguments) runs all of them.
A mutant that survives its traced tests is then run against every listed test before it
counts as a survivor: a line reached where tracing does not look (an audit hook, a C
callback) would otherwise be a false survivor. `--trust-trace` skips that second run.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.mutation_trace import load_traces

REPO = Path(__file__).resolve().parent.parent
COPY = [
    "artfarm",
    "tests",
    "scripts",
    "rules",
    "Snakefile",
    "config",
    "profiles",
    "workflows",
    "style_packs",
    "books",
    "pyproject.toml",
    "README.md",
    "environment.yml",
    "Makefile",
    "bench",
    ".ci",
]

# module → (fast tests that cover it, functions to mutate or None for all)
TARGETS: dict[str, tuple[list[str], list[str] | None]] = {
    "artfarm/pipeline/selection.py": (["tests/pipeline/test_reviews.py"], None),
    "artfarm/pipeline/dagparams.py": (
        [
            "tests/pipeline/test_dagparams.py",
            "tests/pipeline/test_dagparams_more.py",
            "tests/pipeline/test_paramcache.py",  # values through the cache and its memos
        ],
        None,
    ),
    # the bible items' own review code (the gates themselves are selection.py's)
    "artfarm/pipeline/bible_items.py": (
        ["tests/pipeline/test_sheets.py", "tests/pipeline/test_style_refs.py"],
        [
            "load_item_review",
            "review_item_drafts",
            "review_item_refine",
            "no_fixes",
            "is_automatic",
            "waits_for_review",
            "run_item_select",
            "run_item_final",
        ],
    ),
    "artfarm/pipeline/paramcache.py": (["tests/pipeline/test_paramcache.py"], None),
    "artfarm/pipeline/filereads.py": (["tests/pipeline/test_paramcache.py"], None),
    "artfarm/pipeline/render_cache.py": (
        ["tests/pipeline/test_cache_lease_sheet.py", "tests/pipeline/test_render_cache_bounds.py"],
        None,
    ),
    "artfarm/comfy/journal.py": (["tests/comfy/test_journal.py"], None),
    "artfarm/pipeline/reviewing.py": (["tests/pipeline/test_reviews.py"], None),
    "artfarm/rendering/contenthash.py": (
        [
            "tests/pipeline/test_dagparams.py",
            "tests/foundation/test_prompts.py",
            "tests/foundation/test_file_digest.py",
            "tests/pipeline/test_sheets.py",  # a rendered sheet: pending, then its bytes
        ],
        None,
    ),
    "artfarm/comfy/client.py": (
        [
            "tests/comfy/test_journal.py",
            "tests/comfy/test_fresh_uploads.py",
            "tests/comfy/test_faults.py::test_server_dying_mid_job_and_coming_back_gives_one_result_and_a_journalled_resubmission",
            "tests/comfy/test_faults.py::test_a_prompt_lost_twice_raises_prompt_lost",
            "tests/pipeline/test_stage_cancel.py",
        ],
        ["run", "_job_entry", "_submit_journalled", "_prompt_known"],
    ),
    "artfarm/documents/safepath.py": (
        [
            "tests/foundation/test_safepath.py",
            "tests/foundation/test_cli.py",
            "tests/foundation/test_validate.py",
            "tests/workflows/test_masks.py",
        ],
        None,
    ),
    "artfarm/documents/reader.py": (
        [
            "tests/foundation/test_reader_bounds.py",
            "tests/foundation/test_reader_errors.py",
            "tests/hostile/test_documents.py",
            "tests/layout/test_spec.py",
            "tests/foundation/test_validate.py",
        ],
        None,
    ),
    "artfarm/layout/preflight.py": (
        [
            "tests/layout/test_preflight_pdf.py",
            "tests/layout/test_preflight_glyphs.py",
            "tests/layout/test_errors.py",
            "tests/layout/test_outputs.py",
        ],
        None,
    ),
}

# Survivors that change no behaviour a test could name (equivalent mutants), with the reason:
# module → {(mutation, source line as written): why}. The score counts them as survivors; the
# report marks them and also gives the score without them.
EQUIVALENT: dict[str, dict[tuple[str, str], str]] = {
    "artfarm/pipeline/dagparams.py": {
        (
            "True -> False",
            "key = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)",
        ): ("the memo's key spelling: the value is sha256_json(value) either way"),
        (
            "False -> True",
            "key = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)",
        ): ("the memo's key spelling: the value is sha256_json(value) either way"),
        ("Gt -> LtE", "if len(_SHORT) > 4096:"): "the memo's bound: a miss recomputes the same",
        ("Gt -> GtE", "if len(_SHORT) > 4096:"): "the memo's bound moves by one entry",
        ("4096 -> 4097", "if len(_SHORT) > 4096:"): "the memo's bound moves by one entry",
        ("drop call", "_SHORT.clear()"): "an unbounded memo: memory, not values",
        (
            "return None",
            'return self._once("store", lambda: ModelStore(load_settings().models_path))',
        ): ("with store None the compiler opens the same store itself (once a page, slower)"),
        (
            "if -> if not",
            "if TYPE_CHECKING:  # the compiler and the documents load only when a value is computed",
        ): ("the annotation-only imports done at load: a slower start, the same values"),
        ("return None", "return memo[0]"): (
            "_once serves only the store: with None the compiler opens the same store itself"
        ),
        ("0 -> 1", "fix_index=0,"): (
            "the final recipe only detects change: fix 1's seed and mask name change exactly"
            " when fix 0's do"
        ),
        ("0 -> 1", "if cached is None or cached[0] != key:"): (
            "a spec read again every time: slower, the same value"
        ),
    },
    "artfarm/pipeline/paramcache.py": {
        ("1 -> 2", "FORMAT = 1"): "the format number only tells this layout's files from others",
        ("1 -> 2", "PACKAGE = Path(__file__).resolve().parents[1]  # artfarm/"): (
            "the whole repo instead of artfarm/: more sources followed, never a stale value"
        ),
        (
            "drop call",
            'digest.update(repr(filereads.file_version(sysconfig.get_paths()["purelib"])).encode())',
        ): (
            "file_version of a folder is ('dir',), a constant: the listing on the next line"
            " is what follows installs"
        ),
        ("True -> False", "self.dirty = True"): (
            "(the uncacheable branch) an entry whose files changed never matches again;"
            " leaving it on disk costs bytes, not a value"
        ),
        (
            "False -> True",
            'write_text(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))',
        ): "\\u escapes in the file: json.loads reads the same values",
        ("False -> True", "self.dirty = False"): "written again at exit: the same values",
    },
    "artfarm/pipeline/filereads.py": {
        (
            "2000000000 -> 2000000001",
            "RACY_NS = 2_000_000_000  # coarser than any file system's time stamps (FAT: 2 s)",
        ): "the racy window one nanosecond longer",
        (
            "Gt -> GtE",
            'if version[0] == "file" and max(version[4], version[5]) + RACY_NS > seen_ns:',
        ): ("the racy window's edge moves by one nanosecond"),
        ("3 -> 4", "_opened(reads, *args[:3])"): "the open event has three arguments",
        ("True -> False", "_hooked = True"): (
            "the audit hook added on every recording: events handled again, the same reads"
            " (add and refuse keep the first)"
        ),
        ("Eq -> NotEq", 'if kind == "list" or version[0] not in ("file", "dir"):'): (
            "the one-stat shortcut taken or not: both paths answer current(key) == version"
            " (test_the_quick_check_agrees_with_the_versions)"
        ),
        ("return None", "return False"): (
            "None for False from a predicate its callers only test for truth"
        ),
    },
    "artfarm/pipeline/bible_items.py": {
        ("False -> True", "sort_keys=False,"): (
            "the approved item's manifest keeps the model's field order; sorted keys are the "
            "same JSON object to every reader (read_manifest, the board, MCP, archive)"
        ),
    },
    "artfarm/comfy/journal.py": {
        ("32 -> 33", "name = hashlib.sha256(job_key.encode()).hexdigest()[:32]"): (
            "the entry's file name is written and looked up by this one line: any length finds it"
        ),
    },
    "artfarm/rendering/contenthash.py": {
        ("1 -> 2", "def sha256_file(path: Path, chunk: int = 1 << 20) -> str:"): (
            "the read chunk size changes no digest"
        ),
        ("20 -> 21", "def sha256_file(path: Path, chunk: int = 1 << 20) -> str:"): (
            "the read chunk size changes no digest"
        ),
        ("Gt -> GtE", "if len(_DIGESTS) > 4096:"): "the memo's bound moves by one entry",
        ("4096 -> 4097", "if len(_DIGESTS) > 4096:"): "the memo's bound moves by one entry",
    },
    "artfarm/documents/reader.py": {
        ("False -> True", "for item in _one_branch(err.errors(include_url=False)):"): (
            "errors are built from msg, type, loc and input; the URL is never shown"
        ),
        ("1 -> 2", "data = fh.read(max_bytes + 1)"): (
            "reading two bytes past the limit instead of one refuses the same files"
        ),
    },
    "artfarm/pipeline/render_cache.py": {
        (
            "True -> False",
            "@dataclass(frozen=True)",
        ): "nothing changes a CachedJob after it is made",
        ("drop call", "folder.mkdir(parents=True, exist_ok=True)"): (
            "atomic_path makes the folder for the first file and for the record anyway"
        ),
        (
            "Gt -> GtE",
            "too_old = older_than_days is not None and now - used > older_than_days * 86400",
        ): ("differs only at the exact instant an entry turns N days old"),
        ("True -> False", "shutil.rmtree(folder, ignore_errors=True)"): (
            "matters only when another prune removes the same entry at the same moment"
        ),
    },
    "artfarm/layout/preflight.py": {
        ("True -> False", "@dataclass(frozen=True)"): (
            "nothing changes a Finding after it is made; frozen guards future code"
        ),
        ("6 -> 7", "if resources is None or depth > 6:"): (
            "the cap only ends a form that holds itself; Typst nests forms 1-2 deep"
        ),
    },
}

FLIP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
# No `/` -> `*`: here `/` mostly joins paths, and a TypeError is no test's merit.
ARITH = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


@dataclass(frozen=True)
class Mutant:
    index: int  # which mutable site, in walk order
    variant: int  # which change of that site
    line: int
    what: str
    end: int = 0  # last line of the mutated node: the tests reaching any of its lines run it


def docstring_ids(tree: ast.AST) -> set[int]:
    """ids of docstring nodes: changing them changes no behaviour."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        value = first.value if isinstance(first, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.add(id(first))
    return found


def in_scope(tree: ast.Module, functions: list[str] | None) -> list[ast.AST]:
    if functions is None:
        return [tree]
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
    ]


def changes(node: ast.AST, skip: set[int]) -> list[tuple[str, object]]:
    """The mutations of one node: (description, replacement or marker)."""
    out: list[tuple[str, object]] = []
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        if op in FLIP:
            out.append((f"{op.__name__} -> {FLIP[op].__name__}", ("op", FLIP[op])))
        if op in BOUNDARY:
            out.append((f"{op.__name__} -> {BOUNDARY[op].__name__}", ("op", BOUNDARY[op])))
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        out.append((f"{type(node.op).__name__} -> {other.__name__}", ("boolop", other)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("drop not", ("unnot", None)))
    elif isinstance(node, ast.BinOp) and type(node.op) in ARITH:
        new = ARITH[type(node.op)]
        out.append((f"{type(node.op).__name__} -> {new.__name__}", ("binop", new)))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        value = node.value
        new = (not value) if isinstance(value, bool) else value + 1
        out.append((f"{value!r} -> {new!r}", ("const", new)))
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            out.append(("return None", ("return", None)))
    elif isinstance(node, ast.Expr) and id(node) not in skip and isinstance(node.value, ast.Call):
        out.append(("drop call", ("drop", None)))
    elif isinstance(node, ast.If) and not isinstance(
        node.test, ast.Compare | ast.BoolOp | ast.UnaryOp
    ):
        out.append(("if -> if not", ("negate", None)))  # compare/and/or/not are mutated above
    return out


def sites(tree: ast.Module, functions: list[str] | None) -> Iterator[tuple[ast.AST, str, object]]:
    skip = docstring_ids(tree)
    seen: set[int] = set()
    for scope in in_scope(tree, functions):
        for node in ast.walk(scope):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for what, how in changes(node, skip):
                yield node, what, how


def apply(node: ast.AST, how: tuple[str, object]) -> None:
    """Change `node` in place."""
    kind, value = how
    if kind == "op":
        node.ops = [value()]  # type: ignore[attr-defined, operator]
    elif kind in ("boolop", "binop"):
        node.op = value()  # type: ignore[attr-defined, operator]
    elif kind == "const":
        node.value = value  # type: ignore[attr-defined]
    elif kind in ("return", "drop"):
        node.value = ast.Constant(None)  # type: ignore[attr-defined]
    elif kind == "negate":
        node.test = ast.UnaryOp(ast.Not(), node.test)  # type: ignore[attr-defined]
    elif kind == "unnot":  # `not x` -> `bool(x)`, rewriting the node where it stands
        operand = node.operand  # type: ignore[attr-defined]
        node.__class__ = ast.Call
        node.func, node.args, node.keywords = ast.Name("bool", ast.Load()), [operand], []  # type: ignore[attr-defined]


def mutants(source: str, functions: list[str] | None) -> list[Mutant]:
    tree = ast.parse(source)
    found = []
    for n, (node, what, _how) in enumerate(sites(tree, functions)):
        line = getattr(node, "lineno", 0)
        found.append(Mutant(n, 0, line, what, getattr(node, "end_lineno", None) or line))
    return found


def mutated_source(source: str, functions: list[str] | None, mutant: Mutant) -> str:
    tree = ast.parse(source)
    for n, (node, _what, how) in enumerate(sites(tree, functions)):
        if n == mutant.index:
            apply(node, how)  # type: ignore[arg-type]
            break
    return ast.unparse(ast.fix_missing_locations(tree))


def scratch_copy(dest: Path) -> Path:
    for name in COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(
                src,
                dest / name,
                ignore=shutil.ignore_patterns("__pycache__", ".snakemake", "runtime", "exports"),
            )
        elif src.exists():
            shutil.copy2(src, dest / name)
    # every Python process started with PYTHONPATH=dest traces itself when asked to
    (dest / "sitecustomize.py").write_text(
        "from bench.mutation_trace import trace_process\n\ntrace_process()\n", encoding="utf-8"
    )
    return dest


def run_tests(
    root: Path, tests: list[str], timeout: float, extra_env: dict[str, str] | None = None
) -> str:
    """'killed', 'survived' or 'timeout' (a mutant that hangs counts as killed)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    present = [t for t in tests if (root / t.split("::")[0]).exists()]
    if not present:
        raise SystemExit(f"none of {tests} exists: no tests to run the mutants against")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-m",
        "not slow",
        "-p",
        "no:cacheprovider",
        "-p",
        "bench.mutation_trace",
        *present,
    ]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode == 5:  # nothing ran: a selection that matched no test is the script's bug
        raise SystemExit(f"no test ran for {present}: {done.stdout.decode()[-300:]}")
    return "survived" if done.returncode == 0 else "killed"


def traced_baseline(root: Path, module: str, tests: list[str]) -> tuple[dict, dict, float]:
    """Run the tests once, unmutated and traced: lines per test, durations, seconds taken."""
    with tempfile.TemporaryDirectory(prefix="trace-", dir=root) as folder:
        env = {"ARTFARM_MUTATION_TRACE": folder, "ARTFARM_MUTATION_FILE": str(root / module)}
        started = time.monotonic()
        if run_tests(root, tests, timeout=3600, extra_env=env) != "survived":
            raise SystemExit(f"{module}: its tests fail without any mutant; fix them first")
        took = time.monotonic() - started
        lines, durations = load_traces(Path(folder))
    return lines, durations, took


def selection(mutant: Mutant, lines: dict, durations: dict) -> list[str] | None:
    """The tests that run the mutant's lines, quickest first; None: run all of them.

    All of them when no test reaches the lines, or when they also run outside any test: a
    module constant runs at import, in pytest and again in each process a test starts.
    """
    span = set(range(mutant.line, max(mutant.end, mutant.line) + 1))
    if span & lines.get("", set()):
        return None
    reaching = [test for test, hit in lines.items() if test and span & hit]
    if not reaching:
        return None
    return sorted(reaching, key=lambda test: (durations.get(test, 0.0), test))


def run_selected(root: Path, tests: list[str], chosen: list[str] | None, timeout: float) -> str:
    if chosen is None:
        return run_tests(root, tests, timeout)
    files = sorted({test.split("::")[0] for test in chosen})
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=root, delete=False) as fh:
        json.dump(chosen, fh)
    try:
        return run_tests(root, files, timeout, {"ARTFARM_MUTATION_SELECT": fh.name})
    finally:
        os.unlink(fh.name)


def score_module(
    root: Path, module: str, before: dict | None = None, confirm: bool = True
) -> dict[str, object]:
    """Run every mutant of `module`; with `before` (an earlier result), only its survivors."""
    tests, functions = TARGETS[module]
    path = root / module
    original = path.read_text(encoding="utf-8")
    started = time.monotonic()
    found = mutants(original, functions)
    if before is not None and before["mutants"] == len(found):
        # a few earlier survivors: each against every listed test, no trace needed
        again = {(s["index"], s["what"]) for s in before["survivors"]}
        todo = [m for m in found if (m.index, m.what) in again]
        killed = before["mutants"] - len(todo)
        if run_tests(root, tests, timeout=3600) != "survived":
            raise SystemExit(f"{module}: its tests fail without any mutant; fix them first")
        lines, durations, took = {}, {}, time.monotonic() - started
    else:
        todo, killed = found, 0
        lines, durations, took = traced_baseline(root, module, tests)
    survivors = []
    try:
        for mutant in todo:
            path.write_text(mutated_source(original, functions, mutant), encoding="utf-8")
            chosen = selection(mutant, lines, durations)
            verdict = run_selected(root, tests, chosen, timeout=3 * took + 30)
            if verdict == "survived" and confirm and chosen is not None:
                verdict = run_tests(root, tests, timeout=3 * took + 30)
            print(
                f"    {module}:{mutant.line}: {mutant.what}: {verdict}", file=sys.stderr, flush=True
            )
            if verdict == "survived":
                survivors.append(
                    {
                        **asdict(mutant),
                        "code": site_code(original, functions, mutant),
                        "source": original.splitlines()[mutant.line - 1].strip(),
                    }
                )
            else:
                killed += 1
    finally:
        path.write_text(original, encoding="utf-8")
    total = len(found)
    return {
        "module": module,
        "mutants": total,
        "killed": killed,
        "score": round(100 * killed / total, 1) if total else 100.0,
        "survivors": survivors,
        "seconds": round(time.monotonic() - started),
    }


def site_code(source: str, functions: list[str] | None, mutant: Mutant) -> str:
    """The mutated spot as written, shortened: what a reader needs to judge a survivor."""
    for n, (node, _what, _how) in enumerate(sites(ast.parse(source), functions)):
        if n == mutant.index:
            text = " ".join(ast.unparse(node).split())
            return text if len(text) <= 90 else text[:87] + "..."
    return ""


def why_equivalent(module: str, survivor: dict) -> str | None:
    source = survivor.get("source")
    if source is None:  # a result written before survivors kept their line: read it now
        lines = (REPO / module).read_text(encoding="utf-8").splitlines()
        source = lines[survivor["line"] - 1].strip() if survivor["line"] <= len(lines) else ""
    return EQUIVALENT.get(module, {}).get((survivor["what"], source))


def explained(result: dict) -> int:
    return sum(1 for s in result["survivors"] if why_equivalent(result["module"], s))


def report(result: dict) -> None:
    """One module's score line, then every survivor (an equivalent one with its reason)."""
    module, equivalent = result["module"], explained(result)
    rest = result["mutants"] - equivalent
    without = round(100 * result["killed"] / rest, 1) if rest else 100.0
    print(
        f"{module}: {result['killed']}/{result['mutants']} killed = {result['score']} %"
        f" ({equivalent} equivalent: {without} % of the rest; {result['seconds']} s)",
        flush=True,
    )
    for survivor in result["survivors"]:
        why = why_equivalent(module, survivor)
        label = f"equivalent ({why})" if why else "survived"
        print(
            f"  {label}  {module}:{survivor['line']}: {survivor['what']}: {survivor['code']}",
            flush=True,
        )


def table(results: list[dict]) -> None:
    """The scores of several modules as one Markdown table (bench/README.md keeps the last)."""
    print("\n| module | mutants | killed | equivalent | survivors | score | without equivalent |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        equivalent = explained(r)
        rest = r["mutants"] - equivalent
        without = round(100 * r["killed"] / rest, 1) if rest else 100.0
        print(
            f"| `{r['module']}` | {r['mutants']} | {r['killed']} | {equivalent} | "
            f"{len(r['survivors']) - equivalent} | {r['score']} % | {without} % |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all targets)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--list", action="store_true", help="count mutants, run nothing")
    parser.add_argument(
        "--trust-trace",
        action="store_true",
        help="count a mutant its traced tests miss as a survivor without running all tests",
    )
    parser.add_argument(
        "--again", type=Path, help="an earlier --json: re-run only its survivors (tests changed)"
    )
    parser.add_argument(
        "--table",
        type=Path,
        nargs="+",
        help="earlier --json files: print their scores, run nothing",
    )
    args = parser.parse_args(argv)
    if args.table:
        results = [r for path in args.table for r in json.loads(path.read_text())]
        for result in results:
            report(result)
        table(results)
        return 0
    # a stopped run (SIGTERM) still removes its scratch copy
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    modules = args.modules or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        parser.error(f"not a target: {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    if args.list:
        for module in modules:
            source = (REPO / module).read_text(encoding="utf-8")
            print(f"{module}: {len(mutants(source, TARGETS[module][1]))} mutants")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="artfarm-mutation-") as scratch:
        root = scratch_copy(Path(scratch))
        earlier = json.loads(args.again.read_text()) if args.again else []
        previous = {r["module"]: r for r in earlier}
        for module in modules:
            result = score_module(root, module, previous.get(module), not args.trust_trace)
            results.append(result)
            if args.json:  # after each module, so a long run's finished modules are kept
                args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
            report(result)
        if len(results) > 1:
            table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
