"""Staff who may act at the kiosk: personal staff numbers and PINs, roles, lockout.

An administrator provisions the list (`kiosk staff add|list|remove`). A PIN is kept only
as a slow salted scrypt hash. Each person also gets a random pseudonymous id: the audit
trail and the platform see that id, never the staff number. Wrong tries are counted per
staff number (unknown numbers share one count): each wrong try makes the next one wait
longer, and the fifth locks the number out, longer at every lockout. The counts live in a
file, so restarting the kiosk does not reset them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.staff_card import StaffCardAnswer

ROLES = ("helper", "technician", "admin")  # 帮办人员, 技术员, 管理员
# What each action needs: helpers check citizens by hand and unlock stuck sessions,
# technicians maintain the terminal, administrators manage the staff list.
PERMISSIONS: dict[str, frozenset[str]] = {
    "manual_check": frozenset({"helper"}),
    "unlock_session": frozenset({"helper", "technician"}),
    "maintenance": frozenset({"technician", "admin"}),
    "staff_list": frozenset({"admin"}),
}
MAX_TRIES = 5
FIRST_LOCKOUT_SECONDS = 300
MAX_LOCKOUT_SECONDS = 24 * 3600
PIN_MIN, PIN_MAX = 6, 12
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # ~60 ms and 32 MiB per try
UNKNOWN = "?"  # the shared try count of staff numbers nobody has


class StaffError(ValueError):
    """A provisioning request that is refused; the message says why in plain words."""


def pin_problem(pin: str, number: str = "") -> str:
    """Why a PIN is refused at provisioning ('' when it is acceptable)."""
    if not pin:
        return "the PIN is empty"
    if not pin.isdigit() or not pin.isascii():
        return "the PIN must be digits only (the kiosk keypad has digits)"
    if len(pin) < PIN_MIN:
        return f"the PIN is too short: at least {PIN_MIN} digits"
    if len(pin) > PIN_MAX:
        return f"the PIN is too long: at most {PIN_MAX} digits"
    if len(set(pin)) == 1:
        return "the PIN repeats one digit"
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        return "the PIN is a run of digits (123456)"
    if number and pin in number:
        return "the PIN must not be part of the staff number"
    return ""


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    import hashlib  # OpenSSL is loaded at the first PIN, not before the first frame
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=2**26)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    import hashlib
    import hmac

    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32,
                             maxmem=2**26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


_dummy_hash: list[str] = []  # unknown numbers cost the same time as known ones (made on first use)


def _dummy() -> str:
    if not _dummy_hash:
        _dummy_hash.append(hash_pin("000000", b"kiosk-dummy-salt"))
    return _dummy_hash[0]

_NUMBER = re.compile(r"^[0-9]{3,12}$")


@dataclass(frozen=True)
class StaffMember:
    number: str
    staff_id: str  # pseudonymous: what the audit trail and the platform see
    roles: tuple[str, ...]
    pin_hash: str
    card_key: str = ""  # the staff card's Ed25519 public key (base64), "" when no card is registered

    def __repr__(self) -> str:
        return f"StaffMember({self.staff_id}, roles={','.join(self.roles)})"

    def may(self, action: str) -> bool:
        return bool(PERMISSIONS.get(action, frozenset()) & set(self.roles))


@dataclass(frozen=True)
class SignInResult:
    """ok, or a reason key: staff_wrong, staff_wait, staff_locked, staff_not_allowed, staff_list_missing."""

    ok: bool
    reason: str = ""
    staff_id: str = ""  # pseudonymous; "" when the number is unknown
    roles: tuple[str, ...] = ()
    tries_left: int = 0
    wait_seconds: int = 0
    locked_now: bool = False  # this try started a lockout


class StaffDirectory:
    """The provisioned staff list (a JSON file, mode 0600) and the try counts beside it."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.tries_path = path.with_name(path.stem + "-tries.json")
        self._clock = clock
        self._lock = threading.Lock()
        self._challenges: list[bytes] = []  # recent staff card challenges: none is accepted twice

    # ------------------------------------------------------------ the list

    def members(self) -> list[StaffMember]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [StaffMember(m["number"], m["staff_id"], tuple(m["roles"]), m["pin_hash"],
                                str(m.get("card_key", "")))
                    for m in raw.get("staff", [])]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise StaffError(f"{self.path} is damaged; provision the staff list again") from None

    def _save(self, members: list[StaffMember]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(self.path, {"version": 1, "staff": [dict(asdict(m), roles=list(m.roles)) for m in members]})

    def add(self, number: str, pin: str, roles: tuple[str, ...] | list[str]) -> StaffMember:
        """Provision one person; refuses bad numbers, unknown roles and weak PINs."""
        if not _NUMBER.match(number or ""):
            raise StaffError("the staff number must be 3 to 12 digits")
        roles = tuple(dict.fromkeys(roles))
        if not roles or any(r not in ROLES for r in roles):
            raise StaffError(f"roles must be some of: {', '.join(ROLES)}")
        problem = pin_problem(pin, number)
        if problem:
            raise StaffError(problem)
        with self._lock:
            members = [m for m in self.members() if m.number != number]
            old = next((m for m in self.members() if m.number == number), None)
            member = StaffMember(number, old.staff_id if old else f"st-{os.urandom(6).hex()}", roles, hash_pin(pin),
                                 old.card_key if old else "")
            self._save(members + [member])
        return member

    def register_card(self, number: str, public_key: bytes) -> StaffMember:
        """Record a staff card's public key with an existing staff entry (a new card replaces the old)."""
        from kiosk.staff_card import encode_key

        with self._lock:
            members = self.members()
            old = next((m for m in members if m.number == number), None)
            if old is None:
                raise StaffError(f"no staff number {number}: add the person first ('kiosk staff add')")
            try:
                key = encode_key(public_key)
            except ValueError as exc:
                raise StaffError(str(exc)) from None
            if any(m.card_key == key and m.number != number for m in members):
                raise StaffError("this card is registered to another staff number already")
            member = replace(old, card_key=key)
            self._save([member if m.number == number else m for m in members])
        return member

    def check_card(self, answer: StaffCardAnswer, action: str) -> SignInResult:
        """Check a staff card's answer: a registered card that signed this challenge with its key.

        The same challenge is never accepted twice. Reasons: staff_card_unknown (no such number or no
        card registered), staff_card_refused (wrong key, forged or replayed answer), staff_not_allowed.
        A card proves possession only: the PIN is still asked before anyone is signed in.
        """
        from kiosk.staff_card import decode_key, verify_answer

        with self._lock:
            try:
                members = self.members()
            except StaffError:
                return SignInResult(False, "staff_list_missing")
            member = next((m for m in members if m.number == answer.number), None)
            if member is None or not member.card_key:
                return SignInResult(False, "staff_card_unknown")
            fresh = answer.challenge not in self._challenges
            self._challenges.append(answer.challenge)
            del self._challenges[:-256]
            if not fresh or not verify_answer(answer, decode_key(member.card_key)):
                return SignInResult(False, "staff_card_refused", member.staff_id)
            if not member.may(action):
                return SignInResult(False, "staff_not_allowed", member.staff_id, member.roles)
            return SignInResult(True, "", member.staff_id, member.roles)

    def remove(self, number: str) -> bool:
        with self._lock:
            members = self.members()
            kept = [m for m in members if m.number != number]
            if len(kept) == len(members):
                return False
            self._save(kept)
            return True

    # ------------------------------------------------------------ signing in

    def _tries(self) -> dict[str, dict[str, float]]:
        try:
            data = json.loads(self.tries_path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def sign_in(self, number: str, pin: str, action: str) -> SignInResult:
        """Check number + PIN for an action; counts wrong tries and enforces the wait and lockout."""
        with self._lock:
            try:
                members = self.members()
            except StaffError:
                return SignInResult(False, "staff_list_missing")
            member = next((m for m in members if m.number == number), None)
            key = number if member else UNKNOWN
            tries = self._tries()
            state = tries.get(key, {"failures": 0, "lockouts": 0, "until": 0.0})
            now = self._clock()
            staff_id = member.staff_id if member else ""
            if now < state["until"]:
                reason = "staff_wait" if state["failures"] else "staff_locked"
                return SignInResult(False, reason, staff_id, wait_seconds=int(state["until"] - now + 0.999))
            good = check_pin(pin, member.pin_hash if member else _dummy()) and member is not None
            if good:
                tries.pop(key, None)
                _write_private(self.tries_path, tries)
                if not member.may(action):
                    return SignInResult(False, "staff_not_allowed", staff_id, member.roles)
                return SignInResult(True, "", staff_id, member.roles)
            state["failures"] += 1
            if state["failures"] >= MAX_TRIES:
                wait = min(MAX_LOCKOUT_SECONDS, FIRST_LOCKOUT_SECONDS * 2 ** int(state["lockouts"]))
                state = {"failures": 0, "lockouts": state["lockouts"] + 1, "until": now + wait}
                reason, left, locked_now = "staff_locked", 0, True
            else:
                wait = 2 ** (int(state["failures"]) - 1)  # 1, 2, 4, 8 s before the next try
                state["until"] = now + wait
                reason, left, locked_now = "staff_wrong", MAX_TRIES - int(state["failures"]), False
            tries[key] = state
            _write_private(self.tries_path, tries)
            return SignInResult(False, reason, staff_id, tries_left=left, wait_seconds=wait, locked_now=locked_now)


def _write_private(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
