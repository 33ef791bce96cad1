"""artfarm: a picture book plan in, print-ready art and PDF out (ComfyUI + Snakemake + Typst)."""

__version__ = "0.1.0"
