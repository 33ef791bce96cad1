# Shared by every rule: config check, wildcard constraints, the script runner, input functions
# for the agent-written review.json (never an output of any rule), and the content-hash params.

import atexit
import gc
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from artfarm.pipeline import dagparams, paramcache, waits
from artfarm.pipeline.command import Command
from artfarm.pipeline.tiers import gpu_priority
from artfarm.documents.settings import settings_problems


# Python's last garbage collections at exit walk every object Snakemake, the DAG and the
# param cache made (≈ 0.2 s of every run, dry runs included, more for a big DAG) only to free
# memory the process hands back anyway. Objects alive then are frozen out of them; this runs
# after the exit handlers registered later (the param cache's write) and before Snakemake's
# own (logging), and files are flushed and closed as always.
atexit.register(gc.freeze)


def check_config():
    """One line per problem (file, field, fix). The settings model is the whole check:
    config/config.schema.json is generated from it (a test keeps them equal), so Snakemake's
    own `validate` would only repeat it, and importing jsonschema cost every start ≈ 0.09 s."""
    problems = settings_problems(config, "config/config.yaml")
    if problems:
        raise WorkflowError("\n".join(p.line() for p in problems))


check_config()
# While Snakemake's own IO cache holds (the DAG build, a dry run), each file is looked at once.
paramcache.one_look_per_file(lambda: workflow.iocache.active)


wildcard_constraints:
    book=r"[a-z0-9_]+",
    page=r"\d{4}",


PAGE = "books/{book}/pages/{page}"
SCRIPTS = Path(workflow.basedir) / "scripts"


def script(name):
    """The command line of scripts/<name>, run by this Snakemake's own Python (a Command: a
    moved checkout re-runs nothing, see artfarm/pipeline/command.py)."""
    return Command(sys.executable, str(SCRIPTS / name))


def check_servers():
    """Before the first job of a run that renders: every server answers, or one line names it."""
    from artfarm.comfy.health import server_problems
    from artfarm.documents.settings import load_settings
    from artfarm.pipeline.lease import clear_down_marks

    if not any(job.resources.get("gpu", 0) for job in workflow.dag.needrun_jobs()):
        return  # layout, contact sheets, gates: no server needed
    settings = load_settings()
    problems = server_problems(settings)
    for problem in problems:  # the same "error: " lines a job or the CLI prints
        print(f"error: {problem.line()}", file=sys.stderr)
    if problems:
        raise SystemExit(1)  # before any job: nothing to clean up, Snakemake's lock is released
    clear_down_marks(settings.runtime_path / "leases")  # every server answered


def review_if_written(wildcards):
    """review.json when the agent has written it, else nothing: the gate job then waits.

    ancient(): editing one section of the review must not re-run everything downstream;
    the params of each rule carry the hash of the part it depends on.
    """
    path = Path(PAGE.format(**wildcards)) / "review.json"
    return [ancient(str(path))] if path.exists() else []


def page_reference_files(wildcards):
    """The page's reference images (artfarm.rendering.references) as inputs of its render jobs.

    Snakemake then orders a page after the sheets it uses (a rendered sheet is built first).
    ancient(): the params' request hash already covers every reference byte, so a changed
    sheet re-runs exactly the pages that use it while a touched one re-runs nothing. A page
    whose spec cannot be read lists none: its job fails with the clear line instead.
    A sheet the pipeline renders (Phase 0) is not ancient: Snakemake never looks at the params
    of a job linked to a re-running one only by ancient files, so the pages that use a sheet
    being rendered again re-run in the same run (and `snakemake -n` lists them).
    """
    from artfarm.pipeline.dagparams import page_reference_paths, rendered_sheet_paths

    rendered = rendered_sheet_paths(wildcards.book)
    paths = page_reference_paths(wildcards.book, int(wildcards.page))
    return [p if p in rendered else ancient(p) for p in paths]


# A stop at the review gates is a wait, not a crash (artfarm.pipeline.waits): no crash report
# for waiting gate jobs, then the summary of the requested books and exit status 75.
GATE_WAITS = waits.install(logger)


def finish_stopped_run():
    """After a stopped run: what waits for the agent in the books this run was asked for."""
    waits.finish(GATE_WAITS, Path("books"), waits.books_of_jobs(workflow.dag.jobs))
