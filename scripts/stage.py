"""Run one pipeline stage of one page (called by the Snakemake rules; see artfarm.pipeline.stages)."""

import sys

from artfarm.pipeline.stages import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
