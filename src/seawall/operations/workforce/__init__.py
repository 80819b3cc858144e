"""Workforce: who holds which training and accreditations, which capabilities that gives,
where the gaps are, and who could take new work.

- :mod:`.config`: the typed configuration (credentials, roles, tasks and their per-band
  requirements, assignment limits) parsed from defaults/workforce.toml;
- :mod:`.loading`: people, workload and grading exposure read from the database;
- :mod:`.planning`: gap map, headline figures, expiry, training need, suggestions;
- :mod:`.allocations`: recording and closing allocations (audited).
"""
