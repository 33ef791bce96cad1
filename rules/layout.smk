# Layout (Typst): print JPEGs per page, layout/pages.pdf, cover.pdf, proof.pdf, exports/web/.
# Each job depends only on what it reads: a page's JPEG on its print.png and the crop box
# (params), so editing story text in book.yaml re-runs the PDFs and nothing else.
# No gpu resource: layout runs beside render jobs.

include: "layout_inputs.smk"


rule layout_art:
    input:
        image="books/{book}/pages/{page}/print/print.png",
    output:
        jpeg="books/{book}/exports/print/{page}.jpg",
        sidecar="books/{book}/exports/print/{page}.json",
    params:
        box=layout_art_box,
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/art_{page}.log",
    shell:
        "{params.run} books/{wildcards.book} art --page {wildcards.page} > {log} 2>&1"


rule layout_pages:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_print_jpegs,
        config=layout_copyright_config,
    output:
        pdf="books/{book}/layout/pages.pdf",
        report="books/{book}/layout/preflight.json",
    params:
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/pages.log",
    shell:
        "{params.run} books/{wildcards.book} pages > {log} 2>&1"


rule layout_cover:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_cover_art,
    output:
        pdf="books/{book}/layout/cover.pdf",
    params:
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/cover.log",
    shell:
        "{params.run} books/{wildcards.book} cover > {log} 2>&1"


rule layout_proof:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_proof_art,
        config=layout_copyright_config,
    output:
        pdf="books/{book}/layout/proof.pdf",
    params:
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/proof.log",
    shell:
        "{params.run} books/{wildcards.book} proof > {log} 2>&1"


rule layout_web:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_print_jpegs,  # web art is scaled from the print JPEGs
        config=layout_copyright_config,
    output:
        pdf="books/{book}/exports/web/book.pdf",
        index="books/{book}/exports/web/index.json",
    params:
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/web.log",
    shell:
        "{params.run} books/{wildcards.book} web > {log} 2>&1"
