"""Hash-set defaults, apart from the models so that ``seawall hashset import --help`` can
show them without loading SQLAlchemy."""

DEFAULT_PDQ_DISTANCE = 31  # Hamming bits out of 256: HMA's and ThreatExchange's default
