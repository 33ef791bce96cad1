"""A stage of a rendered bible item (character sheet or style reference), as rules/bible.smk runs it."""

import sys

from artfarm.pipeline.bible_items import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
