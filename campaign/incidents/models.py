from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class FraudType(enum.StrEnum):
    """The fraud types in common use (DOMAIN.md)."""

    BRUSHING = "brushing"
    INVESTMENT = "investment"
    LOAN = "loan"
    CUSTOMER_SERVICE = "customer_service"
    AUTHORITIES = "authorities"
    ROMANCE = "romance"
    CREDIT = "credit"
    ACQUAINTANCE = "acquaintance"
    GAME_TRADE = "game_trade"
    SHOPPING = "shopping"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(FRAUD_TYPE_LABELS[self])


FRAUD_TYPE_LABELS = {
    FraudType.BRUSHING: _l("Order brushing for rebates"),
    FraudType.INVESTMENT: _l("Fake online investment"),
    FraudType.LOAN: _l("Fake online loan"),
    FraudType.CUSTOMER_SERVICE: _l("Impersonating e-commerce or courier service"),
    FraudType.AUTHORITIES: _l("Impersonating police, prosecutors or courts"),
    FraudType.ROMANCE: _l("Online dating and romance (pig butchering)"),
    FraudType.CREDIT: _l("Fake credit repair"),
    FraudType.ACQUAINTANCE: _l("Impersonating a leader or acquaintance"),
    FraudType.GAME_TRADE: _l("Fake online game trading"),
    FraudType.SHOPPING: _l("Fake shopping or services"),
    FraudType.OTHER: _l("Other"),
}

# The standard Chinese names, as they appear in police ledgers and import files.
FRAUD_TYPE_CHINESE = {
    "刷单返利": FraudType.BRUSHING, "虚假网络投资理财": FraudType.INVESTMENT, "虚假网络贷款": FraudType.LOAN,
    "冒充电商物流客服": FraudType.CUSTOMER_SERVICE, "冒充公检法": FraudType.AUTHORITIES,
    "网络婚恋交友": FraudType.ROMANCE, "杀猪盘": FraudType.ROMANCE, "虚假征信": FraudType.CREDIT,
    "冒充领导熟人": FraudType.ACQUAINTANCE, "网络游戏虚假交易": FraudType.GAME_TRADE,
    "虚假购物服务": FraudType.SHOPPING, "其他": FraudType.OTHER,
    # The Ministry of Public Security's full names (folded: full-width brackets as ASCII).
    "刷单返利类": FraudType.BRUSHING, "虚假网络投资理财类": FraudType.INVESTMENT, "虚假网络贷款类": FraudType.LOAN,
    "冒充电商物流客服类": FraudType.CUSTOMER_SERVICE, "冒充公检法及政府机关类": FraudType.AUTHORITIES,
    "冒充公检法及政府机关": FraudType.AUTHORITIES, "冒充公检法类": FraudType.AUTHORITIES,
    "网络婚恋交友类(杀猪盘)": FraudType.ROMANCE, "网络婚恋交友类": FraudType.ROMANCE,
    "网络婚恋、交友类(杀猪盘)": FraudType.ROMANCE, "虚假征信类": FraudType.CREDIT,
    "冒充领导熟人类": FraudType.ACQUAINTANCE, "冒充领导、熟人类": FraudType.ACQUAINTANCE,
    "网络游戏产品虚假交易类": FraudType.GAME_TRADE, "网络游戏产品虚假交易": FraudType.GAME_TRADE,
    "网络游戏虚假交易类": FraudType.GAME_TRADE, "虚假购物服务类": FraudType.SHOPPING,
    "虚假购物、服务类": FraudType.SHOPPING, "其他类型诈骗": FraudType.OTHER, "其他类": FraudType.OTHER,
}


class IncidentKind(enum.StrEnum):
    """What was found: a case, a fraud den, or a fraud-involved person (the 三无 of a fraud-free title)."""

    CASE = "case"
    DEN = "den"
    PERSON = "person"

    @property
    def label(self) -> str:
        return str(INCIDENT_KIND_LABELS[self])


INCIDENT_KIND_LABELS = {
    IncidentKind.CASE: _l("Fraud case"),
    IncidentKind.DEN: _l("Fraud den"),
    IncidentKind.PERSON: _l("Fraud-involved person"),
}

INCIDENT_KIND_CHINESE = {"案件": IncidentKind.CASE, "发案": IncidentKind.CASE, "涉诈案件": IncidentKind.CASE,
                         "窝点": IncidentKind.DEN, "涉诈窝点": IncidentKind.DEN,
                         "涉诈人员": IncidentKind.PERSON, "人员": IncidentKind.PERSON}


class Incident(db.Model):
    """A fraud incident (涉诈案件) in a village. It never holds a victim's name."""

    __tablename__ = "incident"
    __table_args__ = (
        sa.CheckConstraint("loss >= 0", name="loss_not_negative"),
        sa.CheckConstraint("recovered >= 0", name="recovered_not_negative"),
        sa.Index("ix_incident_village_date", "village_id", "occurred_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"))
    occurred_on: so.Mapped[date] = so.mapped_column(index=True)
    kind: so.Mapped[IncidentKind] = so.mapped_column(enum_column(IncidentKind, 10), default=IncidentKind.CASE,
                                                     server_default=IncidentKind.CASE.value)
    # The school or unit the case belongs to, when it belongs to one (a creation target).
    target_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("creation_target.id"), index=True)
    fraud_type: so.Mapped[FraudType] = so.mapped_column(enum_column(FraudType, 20))
    loss: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    recovered: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    case_ref: so.Mapped[str] = so.mapped_column(sa.String(40), default="", index=True)
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    village: so.Mapped[Area] = so.relationship()
    target = so.relationship("CreationTarget")

    AUDITED = ("village_id", "kind", "target_id", "occurred_on", "fraud_type", "loss", "recovered", "case_ref",
               "description")
