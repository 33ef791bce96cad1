"""A stage of a rendered bible item (character sheet or style reference), as rules/bible.smk runs it."""

import sys

from artfarm.pipeline.job_scripts import bible_item_main

if __name__ == "__main__":
    sys.exit(bible_item_main(sys.argv[1:]))
