"""The report's tables as one workbook, a sheet per section, with typed Chinese columns. Households,
titles and statuses are those at the period's end; a note column says where that is not on record."""
from __future__ import annotations

from campaign.core.exports import ExportColumn as C
from campaign.core.exports import Sheet

from . import asof
from .figures import Report

SUMMARY = [
    C("区划代码"), C("区划名称"), C("开始日期", "date"), C("结束日期", "date"), C("敲门行动"),
    C("应走访户数", "int"), C("已入户户数", "int"), C("入户覆盖率", "percent"), C("住户数说明"),
    C("APP安装(入户)", "int"), C("APP安装(活动)", "int"),
    C("发案数", "int"), C("去年同期发案数", "int"), C("发案数同比", "percent"),
    C("损失金额(元)", "money"), C("去年同期损失(元)", "money"), C("损失同比", "percent"),
    C("零发案村数", "int"), C("村(社区)数", "int"), C("零发案村占比", "percent"),
    C("零发案乡镇数", "int"), C("乡镇数", "int"), C("零发案乡镇占比", "percent"),
    C("预警数", "int"), C("见面劝阻数", "int"), C("见面劝阻率", "percent"), C("超时未见面", "int"),
    C("避免损失(元)", "money"), C("宣传活动场次", "int"), C("参加人数", "int"),
    C("授牌数", "int"), C("摘牌数", "int"), C("期末持牌数", "int"),
]
RANKING = [
    C("排名", "int"), C("区划代码"), C("名称"), C("应走访户数", "int"), C("已入户户数", "int"),
    C("入户覆盖率", "percent"), C("APP安装(入户)", "int"), C("发案数", "int"), C("损失金额(元)", "money"),
    C("预警数", "int"), C("见面劝阻数", "int"), C("见面劝阻率", "percent"), C("宣传活动场次", "int"),
    C("期末持牌数", "int"), C("后五名"), C("住户数说明"),
]


def _summary(r: Report) -> list:
    z, w = r.zero, r.warnings
    return [r.area.code, r.area.name, r.start, r.end, r.round.name if r.round else "",
            r.coverage.in_scope, r.coverage.reached, r.coverage.coverage if r.round else None,
            str(r.households_note),
            r.coverage.app_installs, r.events.app_installs,
            z.cases, z.cases_before, z.cases_change, z.loss, z.loss_before, z.loss_change,
            len(z.zero_villages), len(z.villages), z.zero_village_share,
            len(z.zero_townships), len(z.townships), z.zero_township_share,
            w.total, w.met_face, w.face_rate, w.overdue, w.loss_prevented, r.events.count, r.events.attendees,
            len(r.awarded), len(r.revoked), r.titles_held]


def _ranking(r: Report):
    for row in r.rows:
        f = row.coverage
        yield [row.rank, row.area.code, row.area.name, f.in_scope, f.reached, f.coverage if r.round else None,
               f.app_installs, row.cases, row.loss, row.warnings, row.met_face, row.face_rate, row.events,
               row.certified, "是" if row.bottom else "", str(row.note)]


def report_sheets(r: Report) -> list[Sheet]:
    statuses = asof.status_columns(r.targets)
    hit = [v for v in r.zero.villages if v.id in r.zero.villages_with_cases]
    return [
        Sheet("概况", SUMMARY, [_summary(r)]),
        Sheet("排名", RANKING, _ranking(r)),
        Sheet("每周覆盖率", [C("周次", "int"), C("起始日期", "date"), C("累计入户户数", "int"), C("覆盖率", "percent")],
              [[n, start, reached, share] for n, (start, reached, share) in enumerate(r.weekly, start=1)]),
        Sheet("月度发案", [C("月份", "date"), C("发案数", "int"), C("去年同月发案数", "int")], r.monthly),
        Sheet("诈骗类型", [C("诈骗类型"), C("发案数", "int"), C("损失金额(元)", "money")],
              [[t.label, n, loss] for t, n, loss in r.fraud_types]),
        Sheet("发案村", [C("区划代码"), C("村(社区)"), C("发案数", "int")],
              [[v.code, v.name, r.zero.villages_with_cases[v.id]] for v in hit]),
        Sheet("创建进展", [C("类型"), *[C(asof.status_label(s), "int") for s in statuses]],
              [[kind.label, *[counts[s] for s in statuses]] for kind, counts in r.targets.items()]),
        Sheet("授牌摘牌", [C("证书编号"), C("名称"), C("称号"), C("授牌日期", "date"), C("有效期至", "date"),
                       C("摘牌日期", "date"), C("摘牌原因")],
              [[c.serial, c.target_name, c.title, c.issued_on, c.valid_until, c.revoked_on, c.revoke_reason]
               for c in sorted({*r.awarded, *r.revoked}, key=lambda c: c.serial)]),
    ]
