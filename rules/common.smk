# Shared helpers of the rules: book discovery, wildcard constraints, request hashes, gates.

wildcard_constraints:
    book="[a-z0-9_]+",
    page=r"\d{4}",
