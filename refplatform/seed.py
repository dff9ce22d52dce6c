"""Seed records of the reference platform: services, citizens, businesses and their certificates.

Every record is fictitious and derived deterministically: the demo card holders and businesses
of devices.sim_people, plus GENERATED_CITIZENS people and GENERATED_BUSINESSES businesses, so
the same holder always gets the same certificates. Type codes, serials and authority codes are
made up; only their check characters follow the real rules (GB 11643, GB 32100, ISO/IEC 7064).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.certificate_ids import IDENTIFIER_ROOT, is_valid_identifier, make_identifier  # noqa: F401 (re-exported)
from kiosk.idnumbers import id_check_digit, uscc_check_char

SERVICES: tuple[dict[str, Any], ...] = (
    {"service_id": "personal_certs", "kind": "personal",
     "names": {"zh-CN": "个人电子证照打印", "zh-TW": "個人電子證照列印", "en": "Personal certificates"}},
    {"service_id": "business_certs", "kind": "business",
     "names": {"zh-CN": "企业电子证照打印", "zh-TW": "企業電子證照列印", "en": "Business certificates"}},
)

# Region of each sample person (by index): (city or district name, 6-digit division code).
_PERSON_REGION = (("北京市", "110100"), ("乌鲁木齐市", "650100"), ("杭州市", "330100"),
                  ("深圳市", "440300"), ("上海市", "310000"), ("深圳市", "440300"),
                  ("呼和浩特市", "150100"))
_BUSINESS_REGION = {"330106": "杭州市西湖区", "110101": "北京市东城区"}

# Which certificate templates each sample person holds (by index).
_PERSON_CERTS = (("household", "social", "tax", "education"), ("household", "social", "education"),
                 ("household", "social", "real_estate"), ("social", "tax"), ("social", "tax"),
                 ("household", "marriage", "real_estate"), ("household", "tax", "marriage", "real_estate"))


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("/".join(str(p) for p in ("refplatform-seed", *parts)).encode()).digest()


def _digits(n: int, *parts: object) -> str:
    return str(int.from_bytes(_digest(*parts)[:8], "big") % 10**n).zfill(n)


def _day(*parts: object) -> _dt.date:
    return _dt.date(2015, 1, 1) + _dt.timedelta(days=int(_digits(4, *parts)) % 3400)


def authority_uscc(name: str, division: str, category: str = "11") -> str:
    """A fictitious but check-valid USCC for an authority (11 = organ, 12 = public institution)."""
    first17 = category + division + _digits(9, "org", name)
    return first17 + uscc_check_char(first17)


_Fields = Callable[[Any, str], dict[str, str]]

# template -> (type code, name, issuer suffix, issuer category, number prefix, extra fields)
_TEMPLATES: dict[str, tuple[str, str, str, str, str, _Fields]] = {
    "household": ("01001", "户籍证明", "公安局", "11", "HJ", lambda p, k: {
        "户籍地址": p.address or "—", "户别": "家庭户", "与户主关系": "户主"}),
    "social": ("02001", "社会保险参保证明", "人力资源和社会保障局", "11", "SB", lambda p, k: {
        "参保险种": "基本养老保险、基本医疗保险", "参保状态": "正常参保",
        "累计缴费月数": str(60 + int(_digits(3, k)) % 300)}),
    "tax": ("03001", "个人所得税纳税证明", "税务局", "11", "SS", lambda p, k: {
        "税款所属期": "2024-01至2024-12", "实缴税额": f"¥{int(_digits(5, k)):,}.00"}),
    "real_estate": ("04001", "不动产权证书", "自然资源和规划局", "11", "BDC", lambda p, k: {
        "坐落": p.address or "示例路1号", "用途": "住宅",
        "建筑面积": f"{60 + int(_digits(2, k))}.50㎡"}),
    "marriage": ("05001", "结婚证", "民政局", "11", "JH", lambda p, k: {
        "登记机关": "婚姻登记处", "持证人": p.name}),
    "education": ("06001", "学历证书", "示例大学", "12", "XL", lambda p, k: {
        "学历": "本科", "专业": "计算机科学与技术", "学习形式": "普通全日制"}),
    "no_criminal": ("07001", "无犯罪记录证明", "公安局", "11", "WF", lambda p, k: {
        "查询结果": "未发现有犯罪记录", "查询范围": "全国违法犯罪人员信息资源库"}),
}


def _person_certificates(index: int, person: Any, *, tag: str = "p", templates: tuple[str, ...] | None = None,
                         region: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    city, division = region or _PERSON_REGION[index]
    out = []
    for template in templates or _PERSON_CERTS[index]:
        type_code, name, suffix, category, prefix, fields = _TEMPLATES[template]
        key = (tag, index, template)
        issuer = city + suffix
        issuer_code = authority_uscc(issuer, division, category)
        out.append({
            "cert_id": "c" + _digest("id", *key).hex()[:23], "name": name,
            "number": prefix + _digits(12, "no", *key),
            "identifier": make_identifier(type_code, issuer_code, _digits(12, "sn", *key), "1"),
            "issuer": issuer, "issuer_code": issuer_code,
            "issue_date": _day("day", *key).isoformat(), "valid_until": None,
            "holder_name": person.name, "holder_code": person.number, "holder_type": "resident_id",
            "fields": fields(person, "/".join(map(str, key))),
        })
    return out


def _business_certificates(index: int, business: dict[str, str], *,
                           reps: dict[str, str] | None = None) -> list[dict[str, Any]]:
    code = business["uscc"]
    district = business.get("district") or _BUSINESS_REGION.get(code[2:8], "示例市")
    issuer = district + "市场监督管理局"
    issuer_code = authority_uscc(issuer, code[2:8])
    rep = next((p.name for p in SAMPLE_PEOPLE if p.number == business["legal_rep"]), None) or (
        reps or {}).get(business["legal_rep"], "—")
    sole = code.startswith("92")
    licence_day = _day("day", "b", index, "licence")
    food_day = _day("day", "b", index, "food")
    common = {"issuer": issuer, "issuer_code": issuer_code, "holder_name": business["name"],
              "holder_code": code, "holder_type": "uscc"}
    return [
        {**common, "cert_id": "c" + _digest("id", "b", index, "licence").hex()[:23], "name": "营业执照",
         "number": code, "identifier": make_identifier("10001", issuer_code, _digits(12, "b", index), "1"),
         "issue_date": licence_day.isoformat(), "valid_until": None,
         "fields": {"类型": "个体工商户" if sole else "有限责任公司",
                    "经营者" if sole else "法定代表人": rep, "登记状态": "存续"}},
        {**common, "cert_id": "c" + _digest("id", "b", index, "food").hex()[:23], "name": "食品经营许可证",
         "number": "JY1" + _digits(13, "food", index),
         "identifier": make_identifier("10002", issuer_code, _digits(12, "f", index), "1"),
         "issue_date": food_day.isoformat(),
         "valid_until": (food_day + _dt.timedelta(days=1826)).isoformat(),  # five years
         "fields": {"主体业态": "食品销售经营者" if sole else "餐饮服务经营者",
                    "经营项目": "预包装食品销售", "日常监督管理机构": district + "市场监督管理所"}},
    ]


@dataclass(frozen=True)
class Citizen:
    """A generated fictitious person (name, GB 11643 number, address)."""

    name: str
    number: str
    address: str


GENERATED_CITIZENS = 200
GENERATED_BUSINESSES = 24
_DIVISIONS = (("110105", "北京市朝阳区"), ("310115", "上海市浦东新区"), ("330106", "杭州市西湖区"),
              ("440305", "深圳市南山区"), ("510107", "成都市武侯区"), ("420106", "武汉市武昌区"),
              ("610113", "西安市雁塔区"), ("320102", "南京市玄武区"), ("370102", "济南市历下区"),
              ("350203", "厦门市思明区"))
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌晨曦子涵浩然思远雨欣嘉怡宇航佳琪"
_TRADES = ("科技", "餐饮", "商贸", "物流", "文化传媒", "建筑工程", "农业发展", "医药", "教育咨询", "电子商务",
           "食品", "服装")
_PERSON_SETS = (("household", "social"), ("household", "social", "tax"), ("social", "tax", "education"),
                ("household", "marriage", "real_estate"), ("household", "no_criminal", "social", "tax"),
                ("education", "no_criminal"), ("social", "real_estate", "marriage"))


def _generated_citizens() -> list[tuple[Citizen, tuple[str, str]]]:
    taken = {p.number for p in SAMPLE_PEOPLE}
    out = []
    for i in range(GENERATED_CITIZENS):
        division, place = _DIVISIONS[i % len(_DIVISIONS)]
        born = _dt.date(1945, 1, 1) + _dt.timedelta(days=int(_digits(5, "born", i)) % 22000)
        sequence = int(_digits(3, "seq", i))
        first17 = f"{division}{born:%Y%m%d}{sequence:03d}"
        number = first17 + id_check_digit(first17)
        if number in taken:
            continue
        taken.add(number)
        g = int(_digits(4, "name", i))
        name = _SURNAMES[g % len(_SURNAMES)] + _GIVEN[g // 7 % len(_GIVEN)] + ("" if g % 3 else _GIVEN[g % len(_GIVEN)])
        address = f"{place}示例路{1 + g % 300}号{1 + g % 20}幢"
        out.append((Citizen(name, number, address), (place[:3], division[:4] + "00")))
    return out


def _generated_businesses(citizens: list[tuple[Citizen, tuple[str, str]]]) -> list[dict[str, str]]:
    out = []
    for i in range(GENERATED_BUSINESSES):
        division, place = _DIVISIONS[i % len(_DIVISIONS)]
        sole = i % 4 == 3
        first17 = ("92" if sole else "91") + division + _digits(9, "biz", i)
        trade = _TRADES[i % len(_TRADES)]
        name = f"{place}示例{trade}店（个体工商户）" if sole else f"{place[:3]}示例{trade}有限公司"
        out.append({"uscc": first17 + uscc_check_char(first17), "name": name,
                    "legal_rep": citizens[(i * 7) % len(citizens)][0].number, "district": place})
    return out


def _build() -> dict[tuple[str, str], list[dict[str, Any]]]:
    table: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, person in enumerate(SAMPLE_PEOPLE):
        table[("resident_id", person.number.upper())] = _person_certificates(i, person)
    for i, business in enumerate(SAMPLE_BUSINESSES):
        table[("uscc", business["uscc"].upper())] = _business_certificates(i, business)
    citizens = _generated_citizens()
    for i, (citizen, region) in enumerate(citizens):
        table[("resident_id", citizen.number)] = _person_certificates(
            i, citizen, tag="g", templates=_PERSON_SETS[i % len(_PERSON_SETS)], region=region)
    for i, business in enumerate(_generated_businesses(citizens), start=len(SAMPLE_BUSINESSES)):
        certs = _business_certificates(i, business, reps={c.number: c.name for c, _ in citizens})
        table[("uscc", business["uscc"])] = certs[: 1 + i % 2] + ([_business_tax(i, business)] if i % 3 == 0 else [])
    return table


def _business_tax(index: int, business: dict[str, str]) -> dict[str, Any]:
    division = business["uscc"][2:8]
    issuer = business.get("district", "示例市") + "税务局"
    issuer_code = authority_uscc(issuer, division)
    key = ("bt", index)
    return {"cert_id": "c" + _digest("id", *key).hex()[:23], "name": "纳税证明",
            "number": "NS" + _digits(14, "no", *key),
            "identifier": make_identifier("03002", issuer_code, _digits(12, "sn", *key), "1"),
            "issuer": issuer, "issuer_code": issuer_code, "issue_date": _day("day", *key).isoformat(),
            "valid_until": None, "holder_name": business["name"], "holder_code": business["uscc"],
            "holder_type": "uscc", "fields": {"税款所属期": "2024-01至2024-12", "纳税信用等级": "A"}}


CERTIFICATES: dict[tuple[str, str], list[dict[str, Any]]] = _build()


def certificates_for(holder_type: str, holder_code: str) -> list[dict[str, Any]]:
    """Copies of the seed certificates of one holder; empty for an unknown holder."""
    return [dict(c, fields=dict(c["fields"])) for c in CERTIFICATES.get((holder_type, holder_code.upper()), [])]
