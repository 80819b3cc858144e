"""The processing farm: ``seawall process`` scans and matches the backlog's exhibits in
priority order, on one machine or many against one database (claims.py: who takes which
item; farm.py: what is done with it)."""
