"""Reproducible performance figures for psrunbook (``python -m bench``)."""
