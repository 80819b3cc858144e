"""Interchange exports (DFXML, VICS, CASE/UCO), one module per format."""
