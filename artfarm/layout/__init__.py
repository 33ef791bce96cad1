"""Layout: book.yaml + page art → print-ready PDFs (Typst), cover wrap, proof, web export, and
the storyboard (storyboard.py: every opening with its best art so far, PDF + one-image PNG)."""
