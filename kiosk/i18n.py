"""The one translation layer: every user-visible string, in zh-CN, zh-TW and en.

Strings live in strings.tsv (key, zh-CN, zh-TW, en); placeholders are %1, %2
as in Qt, so QML can use String.arg() and Python uses fmt().
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

LANGUAGES = ("zh-CN", "zh-TW", "en")

# What is spoken on each screen: its title and its body, where it has one.
SPOKEN = {
    "attract": ("attract_title", "attract_body"),
    "insert_card": ("insert_card_title", "insert_card_body"),
    "card_problem": ("card_problem_title",),
    "assist_offer": ("assist_offer_title", "assist_offer_body"),
    "face_consent": ("face_consent_title", "face_consent_purpose", "face_consent_kept", "face_consent_duration",
                     "face_consent_optional"),
    "face_check": ("face_check_title", "face_check_body"),
    "face_failed": ("face_failed_title",),
    "staff_check": ("staff_check_title", "staff_check_body"),
    "service_menu": ("service_menu_title",),
    "uscc_entry": ("uscc_entry_title", "uscc_hint"),
    "loading": ("loading_title",),
    "cert_list": ("cert_list_title",),
    "preview": ("preview_title",),
    "purpose": ("purpose_title", "purpose_body"),
    "printing": ("printing_title", "printing_body"),
    "print_failed": ("print_failed_title", "print_failed_help"),
    "print_done": ("print_done_title", "print_done_body"),
    "notice": ("notice_title",),
    "rating": ("rating_title",),
    "done": ("done_title", "done_body"),
    "timeout_warning": ("timeout_title",),
    "queueing": ("queueing_title",),
    "queued": ("queued_title", "queued_detail"),
    "purpose_matter": ("matter_title", "matter_household", "matter_social_security", "matter_housing_fund"),
    "take_card": ("take_card_title", "take_card_hint"),
    "card_pulled": ("card_pulled_title", "card_pulled_printing"),
    "card_pulled_printed": ("card_pulled_printed",),
    "card_pulled_failed": ("print_failed_title",),
    "out_of_service": ("out_of_service_title", "out_of_service_detail"),
    "maintenance": (),
    "start_again": ("start_again_title", "platform_grant_expired"),
    "who_for": ("who_for_title", "who_for_body"),
    "business_choice": ("business_choice_title", "business_choice_body"),
    "service_blocked_printer": ("service_blocked_printer_spoken",),  # kiosk/journey_readiness.py
    "service_blocked_platform": ("service_blocked_platform_spoken",),
    "queue_choice": ("queue_choice_certificate_title", "queue_choice_body"),  # kiosk/journey_fallback.py
    "queue_choice_purpose": ("queue_choice_purpose_title",),
    "queue_choice_matter": ("queue_choice_matter_title", "matter_household", "matter_social_security",
                            "matter_housing_fund"),
    "counter_ticket": ("counter_ticket_title",),
    "counter_ticket_printed": ("counter_ticket_printed",),
    "counter_ticket_screen": ("counter_ticket_screen",),
    "sending_to_app": ("sending_to_app_title",),
    "sent_to_app": ("sent_to_app_title", "sent_to_app_body"),
}


@cache
def table() -> dict[str, dict[str, str]]:
    """language -> key -> text, read once from strings.tsv."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    text = Path(__file__).with_name("strings.tsv").read_text(encoding="utf-8")  # beside this module
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 1 + len(LANGUAGES) or not all(cells):
            raise ValueError(f"strings.tsv line {number}: need a key and {len(LANGUAGES)} translations")
        key = cells[0]
        for lang, value in zip(LANGUAGES, cells[1:], strict=True):
            if key in out[lang]:
                raise ValueError(f"strings.tsv line {number}: key {key} repeated")
            out[lang][key] = value
    return out


def text(key: str, language: str) -> str:
    """The text for key; falls back to zh-CN, then to the key itself (never raises)."""
    tables = table()
    return tables.get(language, tables["zh-CN"]).get(key) or tables["zh-CN"].get(key, key)


def fmt(key: str, language: str, *args: object) -> str:
    """text() with %1, %2 ... replaced."""
    out = text(key, language)
    for i, arg in reversed(list(enumerate(args, 1))):
        out = out.replace(f"%{i}", str(arg))
    return out


def spoken(screen: str, language: str) -> str:
    """The guidance spoken when a screen appears."""
    return " ".join(text(k, language) for k in SPOKEN.get(screen, ()))


class Said(str):
    """An English message that remembers its key and arguments, so a screen can show it translated.

    It is the English text everywhere a plain str goes (logs, `kiosk doctor`, reports, tests);
    ``in_language`` gives it in another language. Arguments written "@key" are translated first
    (a part's or a state's name inside a message).
    """

    said: tuple[str, ...]

    def __new__(cls, key: str, *args: object) -> Said:
        words = tuple(str(a) for a in args)
        out = super().__new__(cls, _fill(key, "en", words))
        out.said = (key, *words)
        return out

    def in_language(self, language: str) -> str:
        return _fill(self.said[0], language, self.said[1:])


def _fill(key: str, language: str, args: tuple[str, ...]) -> str:
    return fmt(key, language, *(text(a[1:], language) if a.startswith("@") else a for a in args))


def localise(message: str, language: str) -> str:
    """A Said in the language; any other string as it is."""
    return message.in_language(language) if isinstance(message, Said) else message
