"""`artfarm mcp`: artfarm's tools and book documents for any MCP-capable agent.

project         the project served: root, books by id, the Snakefile
arguments       each tool's input as a pydantic model (its JSON Schema is the tool's schema)
tools           the tools; each calls the same functions as the CLI command it mirrors
snakemake_runs  the dry run parsed into a per-page plan, and builds with progress
images          PNGs sized for a vision model (≤ 1568 px long side)
resources       book documents by URI: artfarm://books/<id>/<path>
server          the SDK's low-level server wired to the above; stdio and streamable HTTP
"""
