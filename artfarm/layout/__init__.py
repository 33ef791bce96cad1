"""Layout: book.yaml + page art → print-ready PDFs (Typst), cover wrap, proof, web export."""
