"""Every model module, imported for its tables' side effect on ``Base.metadata``: Alembic's
autogenerate and anything else that needs the whole schema imports this one module."""

from seawall.store import (  # noqa: F401
    accounts_models,
    audit_models,
    casework_models,
    grading_models,
    hashset_models,
    operations_models,
    web_models,
)
from seawall.store.models import Base

__all__ = ["Base"]
