"""Force operations: a risk-and-age ordered digital-forensics backlog with forecasts and
what-if simulation, and a workforce skills-versus-capability map with assignment
suggestions.  See docs/operations.md.

Modules: ``config`` (packaged TOML policy), ``bands`` (the one coupling to casework's risk
bands), ``policy`` (priority), ``forecast`` (deterministic schedule), ``simulation``
(SimPy what-if), ``charts`` (server-side SVG), ``backlog`` and ``workforce`` (database
services and reports), ``csv_import`` and ``synthetic`` (data in).
"""
