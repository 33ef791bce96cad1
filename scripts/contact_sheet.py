"""Make the contact sheet of a page's drafts or refined variants (called by the Snakemake rules)."""

import sys

from artfarm.pipeline.job_scripts import contact_sheet_main

if __name__ == "__main__":
    sys.exit(contact_sheet_main(sys.argv[1:]))
