"""Seawall: triage of seized media against known-hash sets (scan, match, grade, report)."""

__version__ = "0.1.0"
