"""Make the contact sheet of a page's drafts or refined variants (called by the Snakemake rules)."""

import sys

from artfarm.pipeline.contact_sheet import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
