"""The render pipeline's logic, one module per concept; Snakemake rules only call into it.

manifest     what each stage leaves behind: outputs with sha256, jobs with full provenance
render_cache content-addressed outputs by request hash: never pay GPU time twice
lease        which ComfyUI server (and queue slot) a job may use: where it ends first
server_speeds  each server's seconds per unit of GPU work, learned from the jobs it ran
tiers        GPU jobs ordered by model tier (Snakemake priorities): one model load per tier
stages       thumb / draft / refine / final / print: compile → cache or GPU → manifest
job_scripts  the job scripts' command lines: parsed first, each job imports what it uses
input_store  every uploaded file kept in the book by content (inputs/sha256/), for replays
replay       `artfarm replay`: a manifest run again, every output's sha256 compared
selection    the draft-review gate: stale checks, copies of the chosen drafts
awaiting     a job stopped at a review gate: its exception, exit status 75 and log mark
contact_sheet  candidates in a grid, sized for a vision model to read
reviewing    `artfarm review`: writing and checking review.json
todo         `artfarm next`: the agent's to-do list
sheets       Phase 0: a character's sheet rendered from its bible words, as a page is
subjects     what a review judges (a page or a rendered bible item), for the CLI, board, MCP
waits        a stop at the review gates is a wait (exit 75, a summary), not a crash
dagparams    the content hashes rules carry as params (what makes a job re-run)
paramcache   those values remembered across runs, each with the versions of the files it read
filereads    which files a computation read (audit hook, stat), and whether they changed since
command      a rule's command line as a param that never makes a job re-run (moved checkout)
"""
