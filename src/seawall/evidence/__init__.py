"""Evidence access: open an exhibit read-only and list every file in it (allocated, deleted,
alternate data streams), with a locator from which any process can re-open the file's bytes.

Source kinds register themselves in :mod:`seawall.evidence.registry`; archives found inside
files are expanded by :mod:`seawall.evidence.archives`.
"""
