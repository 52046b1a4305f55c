"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""
from .accounts.models import LoginAttempt, User, user_grid  # noqa: F401
from .areas.models import Area  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .callbacks.models import CallbackAttempt, CallbackSample, CallbackTask  # noqa: F401
from .creation.models import (  # noqa: F401
    Certificate,
    CreationCriteria,
    CreationSettings,
    CreationTarget,
    TargetStatusChange,
)
from .events.models import EventPhoto, PublicityEvent  # noqa: F401
from .households.history import HouseholdPlacement  # noqa: F401
from .households.models import Household  # noqa: F401
from .incidents.models import Incident  # noqa: F401
from .jobs.models import Job  # noqa: F401
from .maps.models import AreaBoundary  # noqa: F401
from .reports.models import DocumentNumber, DocumentSettings  # noqa: F401
from .rounds.models import Round  # noqa: F401
from .visits.models import GridTally, RoundHousehold, Visit, WorkerTally  # noqa: F401
from .warnings.models import FraudWarning, WarningAttempt, WarningPolicy  # noqa: F401
