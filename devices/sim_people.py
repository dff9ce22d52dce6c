"""Fictitious card holders for the demo, the simulators and the tests.

Every ID number carries a valid GB 11643 check digit; none belongs to a real person.
The reference platform seeds its records from the same list.
"""

from __future__ import annotations

import datetime as _dt

from kiosk.identity import DocumentType, IdentityDocument

D = _dt.date

SAMPLE_PEOPLE: tuple[IdentityDocument, ...] = (
    IdentityDocument(
        doc_type=DocumentType.RESIDENT_ID, name="张伟明", sex="M", ethnicity="01",
        birth_date=D(1985, 3, 12), number="110101198503120033",
        address="北京市东城区示例胡同12号", authority="北京市公安局东城分局",
        valid_from=D(2019, 6, 1), valid_to=D(2039, 6, 1), extra={"label": "Han citizen"},
    ),
    IdentityDocument(
        doc_type=DocumentType.RESIDENT_ID, name="阿依古丽·买买提", sex="F", ethnicity="05",
        birth_date=D(1992, 7, 8), number="650102199207080029",
        address="新疆乌鲁木齐市天山区示例路88号", authority="乌鲁木齐市公安局天山区分局",
        valid_from=D(2021, 3, 15), valid_to=D(2041, 3, 15), extra={"label": "Uyghur citizen"},
    ),
    IdentityDocument(
        doc_type=DocumentType.RESIDENT_ID, name="李秀英", sex="F", ethnicity="01",
        birth_date=D(1950, 11, 23), number="330106195011230040",
        address="浙江省杭州市西湖区示例街3号", authority="杭州市公安局西湖区分局",
        valid_from=D(2012, 5, 20), valid_to=None, extra={"label": "Elderly citizen (75)"},
    ),
    IdentityDocument(
        doc_type=DocumentType.HMT_RESIDENCE_PERMIT, name="陈家豪", sex="M",
        birth_date=D(1990, 2, 15), number="810000199002150013",
        address="广东省深圳市福田区示例大道100号", authority="深圳市公安局",
        valid_from=D(2022, 8, 1), valid_to=D(2027, 8, 1),
        extra={"label": "HK residence permit", "pass_number": "H60123456", "issue_count": "01"},
    ),
    IdentityDocument(
        doc_type=DocumentType.FOREIGN_PR_2023, name="史密斯", name_en="SMITH JOHN ANDREW", sex="M",
        birth_date=D(1988, 4, 15), number="933840198804150015", nationality="USA",
        authority="国家移民管理局", valid_from=D(2024, 1, 10), valid_to=D(2034, 1, 10),
        extra={"label": "Foreign permanent resident"},
    ),
    IdentityDocument(
        doc_type=DocumentType.RESIDENT_ID, name="王芳", sex="F", ethnicity="01",
        birth_date=D(1978, 5, 6), number="44030519780506002X",
        address="广东省深圳市南山区示例路7号", authority="深圳市公安局南山分局",
        valid_from=D(2004, 5, 1), valid_to=D(2024, 5, 1), extra={"label": "Expired card"},
    ),
    IdentityDocument(
        doc_type=DocumentType.RESIDENT_ID, name="巴特尔", sex="M", ethnicity="02",
        birth_date=D(1972, 8, 30), number="150102197208300014",
        address="内蒙古呼和浩特市新城区示例街21号", authority="呼和浩特市公安局新城区分局",
        valid_from=D(2016, 9, 1), valid_to=D(2036, 9, 1),
        extra={"label": "Mongol citizen, business legal rep"},
    ),
)

# A 2017 foreign permanent resident card ('I'): not in SAMPLE_PEOPLE because the platform has no
# records for its 15-character number; the SAM emulator and the reader tests use it.
FOREIGN_PR_2017_PERSON = IdentityDocument(
    doc_type=DocumentType.FOREIGN_PR_2017, name="玛丽", name_en="MARTIN MARIE CLAIRE", sex="F",
    birth_date=D(1986, 9, 12), number="CAN110086091201", nationality="CAN", authority="1100",
    valid_from=D(2018, 3, 1), valid_to=D(2028, 3, 1), extra={"label": "Foreign PR (2017 card)", "version": "01"},
)

# One card of each SAM-read type: resident ID, HK/Macau/Taiwan permit, 2017 and 2023 foreign PR cards.
SAM_CARD_TYPES: tuple[IdentityDocument, ...] = (
    SAMPLE_PEOPLE[0], SAMPLE_PEOPLE[3], FOREIGN_PR_2017_PERSON, SAMPLE_PEOPLE[4],
)

# Businesses whose legal representative is one of the people above (USCC per GB 32100).
SAMPLE_BUSINESSES: tuple[dict[str, str], ...] = (
    {"uscc": "91330106MA2B3C4D5D", "name": "杭州示例科技有限公司", "legal_rep": "150102197208300014"},
    {"uscc": "91110101MA01ABCD19", "name": "北京示例餐饮管理有限公司", "legal_rep": "110101198503120033"},
    {"uscc": "92330106MA2K8L9M0L", "name": "西湖区示例便利店（个体工商户）", "legal_rep": "330106195011230040"},
)


def person_label(index: int) -> str:
    """A non-personal label for the demo control ("Elderly citizen (75)")."""
    return SAMPLE_PEOPLE[index].extra.get("label", f"person {index + 1}")
