"""Casework: cases and suspects, risk instruments as data, explainable scoring, forensic
indicators from scans and matches, and pathway decision support (advice, never a decision)."""
