# Layout rules (Typst): layout/pages.pdf, layout/cover.pdf, exports/.
