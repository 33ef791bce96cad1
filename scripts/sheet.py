"""A stage of a character's rendered sheet, as rules/bible.smk runs it."""

import sys

from artfarm.pipeline.sheets import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
