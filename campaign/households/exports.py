"""The right-of-access workbook of one household: its data, its visits, and who viewed it."""
from __future__ import annotations

from datetime import datetime

from campaign.core.exports import ExportColumn, Sheet

FIELDS = [("id", "编号"), ("grid", "网格"), ("grid_code", "网格编码"), ("door_label", "门牌/地址"),
          ("head_name", "户主姓名"), ("phone", "联系电话"), ("members", "家庭人口"), ("elderly_alone", "独居老人"),
          ("at_risk", "重点关注"), ("lat", "纬度"), ("lon", "经度"), ("created_at", "登记时间"),
          ("updated_at", "更新时间"), ("erased_at", "个人信息删除时间")]


ACTIONS = {"view": "查看完整信息", "search": "按电话搜索", "export": "导出个人信息", "erase": "删除个人信息"}
VIA = {"household page": "住户页面", "edit page": "编辑页面", "access json": "导出(JSON)", "access xlsx": "导出(Excel)"}
NAMES = {"head_name": "户主姓名", "phone": "联系电话", "location": "位置", "visits": "走访记录", "audit": "查阅记录",
         "visit notes": "走访备注"}


def _fields(details: dict) -> str:
    listed = details.get("shown") or details.get("erased") or ""
    return "、".join(NAMES.get(name.strip(), name.strip()) for name in str(listed).split(",") if name.strip())


def _value(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return datetime.fromisoformat(value)
    return value


def _text(value) -> str:
    value = _value(value)
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ("" if value is None else str(value))


def access_sheets(report: dict) -> list[Sheet]:
    household = report["household"]
    return [
        Sheet("住户信息", [ExportColumn("项目", width=18), ExportColumn("内容", width=30)],
              [(header, _text(household[key])) for key, header in FIELDS]),
        Sheet("走访记录", [ExportColumn("走访时间", "datetime"), ExportColumn("轮次", width=16),
                       ExportColumn("走访结果"),
                       ExportColumn("走访人"), ExportColumn("宣传人数", "int"), ExportColumn("安装APP", "int"),
                       ExportColumn("备注", width=30)],
              [(_value(v["visited_at"]), v["round"], v["outcome"], v["worker"], v["people_briefed"],
                v["app_installs"], v["note"]) for v in report["visits"]]),
        Sheet("查阅记录", [ExportColumn("时间", "datetime"), ExportColumn("人员"), ExportColumn("操作", width=14),
                       ExportColumn("涉及信息", width=30), ExportColumn("途径", width=14),
                       ExportColumn("来源地址", width=16), ExportColumn("理由", width=30)],
              [(_value(e["at"]), e["who"], ACTIONS.get(e["action"], e["action"]), _fields(e["details"]),
                VIA.get(str(e["details"].get("via", "")), e["details"].get("via", "")),
                e["details"].get("address", ""), e["reason"]) for e in report["audit"]]),
    ]
