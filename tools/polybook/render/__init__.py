"""Rendering: pages assembled from text and executed code, the HTML site and the PDF through
Sphinx, and the Sphinx extension (the only code that imports Sphinx)."""
