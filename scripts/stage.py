"""Run one pipeline stage of one page (called by the Snakemake rules; see artfarm.pipeline.stages)."""

import sys

from artfarm.pipeline.job_scripts import stage_main

if __name__ == "__main__":
    sys.exit(stage_main(sys.argv[1:]))
