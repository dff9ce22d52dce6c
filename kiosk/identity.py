"""The identity document read from a card: one typed record for every card type."""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field

from kiosk.idnumbers import birth_date_from_id, is_valid_id_number


class DocumentType(enum.Enum):
    """Kinds of identity document the kiosk accepts."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证 ('J')
    FOREIGN_PR_2017 = "foreign_pr_2017"  # 外国人永久居留身份证 2017 ('I')
    FOREIGN_PR_2023 = "foreign_pr_2023"  # 外国人永久居留身份证 2023 ('Y')
    SOCIAL_SECURITY = "social_security"  # 社会保障卡 (PC/SC)


class HolderCodeType(enum.Enum):
    """How the platform is asked for a holder's certificates."""

    RESIDENT_ID = "resident_id"
    USCC = "uscc"
    OTHER = "other_document"


@dataclass(frozen=True, repr=False)
class IdentityDocument:
    """What a reader delivers. repr() never shows personal data."""

    doc_type: DocumentType
    name: str
    sex: str  # "M" / "F"
    birth_date: _dt.date
    number: str
    valid_from: _dt.date | None
    valid_to: _dt.date | None  # None = long-term (长期)
    name_en: str = ""
    ethnicity: str = ""
    address: str = ""
    authority: str = ""
    nationality: str = ""
    photo: bytes = b""
    photo_format: str = ""  # "wlt", "bmp", "jpeg" or "" when absent
    source: str = "sim"  # raw-source tag: "sam", "pcsc", "sim"
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # keep personal data out of logs and tracebacks
        return f"IdentityDocument(type={self.doc_type.value}, source={self.source})"

    __str__ = __repr__

    @property
    def holder_code_type(self) -> HolderCodeType:
        if self.doc_type in (DocumentType.FOREIGN_PR_2017,):
            return HolderCodeType.OTHER
        return HolderCodeType.RESIDENT_ID

    def age_on(self, day: _dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_expired(self, day: _dt.date) -> bool:
        return self.valid_to is not None and day > self.valid_to

    def problems(self) -> list[str]:
        """Validation problems as message keys; empty when the document is sound."""
        found: list[str] = []
        if self.doc_type in (
            DocumentType.RESIDENT_ID,
            DocumentType.HMT_RESIDENCE_PERMIT,
            DocumentType.FOREIGN_PR_2023,
            DocumentType.SOCIAL_SECURITY,
        ):
            if not is_valid_id_number(self.number):
                found.append("card_bad_number")
            elif (self.doc_type in (DocumentType.RESIDENT_ID, DocumentType.SOCIAL_SECURITY)
                  and birth_date_from_id(self.number) != self.birth_date):
                found.append("card_bad_number")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            found.append("card_bad_dates")
        return found
