"""The review states of a visit. Kept apart from the models so that ``visits.models`` can use them
without importing the review package's services and views."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class ReviewState(enum.StrEnum):
    """Where a visit stands in review (审核): every visit starts as received."""

    RECEIVED = "received"      # 待审
    VERIFIED = "verified"      # 已核实
    HAS_ISSUES = "has_issues"  # 有疑问
    REJECTED = "rejected"      # 已作废: counts in no coverage figure

    @property
    def label(self) -> str:
        return str(REVIEW_LABELS[self])

    @property
    def needs_note(self) -> bool:
        """Questioning or striking out a visit says why, for the worker to read."""
        return self in (ReviewState.HAS_ISSUES, ReviewState.REJECTED)


REVIEW_LABELS = {
    ReviewState.RECEIVED: _l("Received"),
    ReviewState.VERIFIED: _l("Verified"),
    ReviewState.HAS_ISSUES: _l("Has issues"),
    ReviewState.REJECTED: _l("Rejected"),
}

REVIEW_ORDER = [ReviewState.RECEIVED, ReviewState.VERIFIED, ReviewState.HAS_ISSUES, ReviewState.REJECTED]
