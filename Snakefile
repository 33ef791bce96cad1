# artfarm: renderspec.json → draft/ → review.json → refine/ → final/ → print/ → layout/pages.pdf
# The Snakefile reads like a table of contents: each stage lives in rules/<stage>.smk and
# every rule calls a small script under scripts/ that calls the artfarm package.

include: "rules/common.smk"
include: "rules/layout.smk"
