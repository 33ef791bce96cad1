# artfarm: renderspec.json → draft/ → review.json → selected/ → refine/ → final/ → print/
#          → layout/pages.pdf
# Every stage lives in rules/<stage>.smk; every rule is a thin shell line calling a small
# script under scripts/ that calls the artfarm package. Usage:
#   snakemake books/gingerbear_01/layout/pages.pdf     (stops at missing reviews with a summary;
#                                                       exit status 75 when only reviews wait)
#   snakemake -n books/gingerbear_01/layout/pages.pdf  (what would re-render, and why)

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/bible.smk"
include: "rules/draft.smk"
include: "rules/review.smk"
include: "rules/refine.smk"
include: "rules/final.smk"
include: "rules/print.smk"
include: "rules/layout.smk"
include: "rules/storyboard.smk"


onstart:
    check_servers()


onerror:
    finish_stopped_run()
