"""PC/SC card reader (pyscard's low-level `smartcard.scard` API) for social security cards.

One worker thread owns its own PC/SC context: it lists readers, waits in
SCardGetStatusChange for card and reader changes (the PnP pseudo-reader reports
readers plugged in or out), reads a new card once, and re-establishes the context
when pcscd goes away and comes back. No pyscard singleton (CardMonitor,
ReaderMonitor) is used, so nothing outlives stop().
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from smartcard import scard as S

from devices import sscard, staffcard
from devices.reader_events import ReaderEventSource, card_digest
from kiosk.interfaces import ReaderEvent, ReaderEventKind, ReaderListener

log = logging.getLogger("kiosk.devices.pcsc")

Trace = Callable[[str, bytes], None]
PNP = "\\\\?PnP?\\Notification"
_SERVICE_GONE = {S.SCARD_E_NO_SERVICE, S.SCARD_E_SERVICE_STOPPED, S.SCARD_E_INVALID_HANDLE}
_CARD_GONE = {S.SCARD_W_REMOVED_CARD, S.SCARD_E_NO_SMARTCARD, S.SCARD_W_RESET_CARD, S.SCARD_E_READER_UNAVAILABLE,
              S.SCARD_W_UNPOWERED_CARD}


# SCardStatus state bits PRESENT, SWALLOWED, POWERED, NEGOTIABLE, SPECIFIC: a card is in the reader
_CARD_IN_READER = 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0040


class PcscError(Exception):
    """A PC/SC call failed; `code` is the PC/SC return code."""

    def __init__(self, call: str, code: int) -> None:
        super().__init__(f"{call}: {S.SCardGetErrorMessage(code)} (0x{code & 0xFFFFFFFF:08X})")
        self.code = code


def list_readers(context: Any) -> list[str]:
    hresult, readers = S.SCardListReaders(context, [])
    if hresult == S.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult != S.SCARD_S_SUCCESS:
        raise PcscError("SCardListReaders", hresult)
    return list(readers)


class CardSession:
    """One connected card: transmit with 61xx/6Cxx handling and an optional APDU trace."""

    def __init__(self, context: Any, reader: str, trace: Trace | None = None) -> None:
        self._trace = trace
        hresult, self._card, self._protocol = S.SCardConnect(context, reader, S.SCARD_SHARE_SHARED,
                                                             S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1)
        if hresult != S.SCARD_S_SUCCESS:
            raise PcscError("SCardConnect", hresult)

    def close(self) -> None:
        S.SCardDisconnect(self._card, S.SCARD_LEAVE_CARD)

    def card_gone(self, wait: float = 0.5) -> bool:
        """True when the card has left, asked after a failed exchange: was it pulled mid-read?

        Readers notice a pulled card only at their next poll (vpcd ~100 ms), so ask for up to `wait` s.
        """
        deadline = time.monotonic() + wait
        while True:
            try:
                hresult, _reader, state, _protocol, _atr = S.SCardStatus(self._card)
            except Exception:  # pyscard raises on some dead handles
                return True
            if hresult != S.SCARD_S_SUCCESS or not state & _CARD_IN_READER:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def raw(self, apdu: bytes) -> bytes:
        if self._trace:
            self._trace("tx", apdu)
        hresult, response = S.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != S.SCARD_S_SUCCESS:
            raise PcscError("SCardTransmit", hresult)
        out = bytes(response)
        if self._trace:
            self._trace("rx", out)
        return out

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        data, sw1, sw2 = sscard.split_response(self.raw(apdu))
        if sw1 == 0x6C and len(apdu) >= 5:  # wrong Le: the card says the exact length
            data, sw1, sw2 = sscard.split_response(self.raw(apdu[:4] + bytes([sw2])))
        collected = bytearray(data)
        for _ in range(16):  # 61xx: more data waits for GET RESPONSE
            if sw1 != 0x61:
                break
            data, sw1, sw2 = sscard.split_response(self.raw(bytes([0x00, 0xC0, 0x00, 0x00, sw2])))
            collected += data
        else:
            raise sscard.MalformedResponse("GET RESPONSE chain too long")
        return bytes(collected), sw1, sw2


class PcscReader(ReaderEventSource):
    """A CardReader on PC/SC. Events reach the listener from the worker thread."""

    def __init__(self, *, name_filter: str = "", poll_interval: float = 0.25, reconnect_interval: float = 1.0,
                 trace: Trace | None = None, max_reconnect_interval: float = 30.0, loss_grace: float = 5.0) -> None:
        self.name_filter = name_filter
        self.poll_interval = poll_interval
        self.reconnect_interval = reconnect_interval
        self.max_reconnect_interval = max(reconnect_interval, max_reconnect_interval)
        self.loss_grace = loss_grace
        self._misses = 0  # failed attempts in a row to reach pcscd: the reconnect wait doubles
        self._errors = 0  # failed calls in a row: logged once per streak
        self._ids: dict[str, str] = {}  # reader -> digest of the card read there (memory only)
        self._unsure: dict[str, tuple[str, float]] = {}  # reader -> (digest, since) of a card read before pcscd dropped
        self._trace = trace
        self._listener: ReaderListener | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._context: Any = None
        self._connected: bool | None = None
        self._cards: dict[str, str] = {}  # reader -> "read" | "failed" while a card lies there
        self._states: dict[str, int] = {}
        self.reads = 0
        self.card_seen_at: dict[str, float] = {}  # reader -> perf_counter when the card was seen

    def start(self, listener: ReaderListener) -> None:
        self._start_worker(listener, "pcsc-reader")

    def stop(self) -> None:
        self._stop.set()
        context = self._context
        if context is not None:
            S.SCardCancel(context)
        self._join_worker()

    # -------------------------------------------------------------- worker

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._check_grace()
                if self._context is None and not self._establish():
                    self._misses += 1
                    self._stop.wait(min(self.reconnect_interval * 2 ** min(self._misses - 1, 16),
                                        self.max_reconnect_interval, self._grace_left()))
                    continue
                try:
                    self._wait_and_handle()
                    self._errors = 0
                except PcscError as exc:
                    if exc.code in _SERVICE_GONE:
                        self._lose(exc)
                    else:
                        self._errors += 1
                        if self._errors == 1:
                            log.warning("pc/sc call failed", extra={"event": "pcsc_error", "code": exc.code})
                        self._stop.wait(min(self.poll_interval * 2 ** min(self._errors - 1, 16),
                                            self.max_reconnect_interval))
                except Exception as exc:  # never let the reader thread die: log the type, start afresh
                    log.exception("pc/sc reader fault", extra={"event": "pcsc_fault", "error": type(exc).__name__})
                    self._release()
                    self._stop.wait(self.reconnect_interval)
        finally:
            self._release()

    def _establish(self) -> bool:
        hresult, context = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
        if hresult != S.SCARD_S_SUCCESS:
            if self._connected is not False:
                log.warning("pcscd not reachable", extra={"event": "pcsc_unavailable", "code": hresult})
                self._set_connected(False)
            return False
        self._context = context
        self._states = {}
        self._misses = 0
        return True

    def _grace_left(self) -> float:
        if not self._unsure:
            return float("inf")
        return max(0.0, min(since for _, since in self._unsure.values()) + self.loss_grace - time.monotonic())

    def _check_grace(self) -> None:
        """A card read before pcscd dropped that could not be seen again within the grace: its session ends."""
        for name, (_, since) in list(self._unsure.items()):
            if time.monotonic() - since >= self.loss_grace:
                del self._unsure[name]
                log.info("card not seen again after a drop-out", extra={"event": "reader_card_custody_lost"})
                self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))

    def _release(self) -> None:
        if self._context is not None:
            S.SCardReleaseContext(self._context)
            self._context = None

    def _lose(self, exc: PcscError) -> None:
        log.warning("pc/sc service lost", extra={"event": "pcsc_lost", "code": exc.code})
        self._release()
        now = time.monotonic()
        for name, state in self._cards.items():  # whatever lies there when pcscd is back must be read again
            if state == "staff":  # a staff session never outlives a drop-out: the card signs in afresh
                self._emit(ReaderEvent(ReaderEventKind.STAFF_CARD_REMOVED))
            else:
                self._unsure[name] = (self._ids.get(name, ""), now)
        self._cards.clear()
        self._set_connected(False)

    def _readers(self) -> list[str]:
        return [r for r in list_readers(self._context) if self.name_filter in r]

    def _wait_and_handle(self) -> None:
        readers = self._readers()
        self._set_connected(bool(readers))
        for gone in set(self._states) - set(readers) - {PNP}:
            self._states.pop(gone, None)
        for gone in set(self._cards) - set(readers):  # a card's reader was unplugged
            self._card_left(gone)
        query = [(name, self._states.get(name, S.SCARD_STATE_UNAWARE)) for name in readers]
        query.append((PNP, self._states.get(PNP, S.SCARD_STATE_UNAWARE)))
        timeout_ms = max(10, int(self.poll_interval * 1000))
        hresult, states = S.SCardGetStatusChange(self._context, timeout_ms, query)
        if hresult in (S.SCARD_E_TIMEOUT, S.SCARD_E_CANCELLED):
            return
        if hresult == S.SCARD_E_UNKNOWN_READER:  # a reader went away between list and wait
            self._states.clear()
            return
        if hresult != S.SCARD_S_SUCCESS:
            raise PcscError("SCardGetStatusChange", hresult)
        for name, event_state, _atr in states:
            self._states[name] = event_state & ~S.SCARD_STATE_CHANGED
            if name == PNP:
                continue
            if event_state & S.SCARD_STATE_PRESENT and not event_state & S.SCARD_STATE_MUTE:
                if name not in self._cards:
                    self.card_seen_at[name] = time.perf_counter()
                    self._read(name)
            elif event_state & S.SCARD_STATE_PRESENT:  # mute: the card does not answer
                if name not in self._cards:
                    self._cards[name] = "failed"
                    self._emit(ReaderEvent(ReaderEventKind.READ_FAILED, reason="card_unreadable"))
            else:
                self._card_left(name)

    def _card_left(self, name: str) -> None:
        self._ids.pop(name, None)
        if self._cards.get(name) == "staff":
            del self._cards[name]
            self._emit(ReaderEvent(ReaderEventKind.STAFF_CARD_REMOVED))
            return
        if self._cards.pop(name, None) is not None or self._unsure.pop(name, None) is not None:
            self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))

    def _read(self, name: str) -> None:
        try:
            session = CardSession(self._context, name, self._trace)
        except PcscError as exc:
            if exc.code in _SERVICE_GONE:
                raise
            if exc.code in _CARD_GONE:
                return  # gone before we could connect; the next status wait says so
            self._fail(name, "card_unreadable", exc)
            return
        try:
            document = sscard.read_social_security_card(session.transmit)
        except sscard.CardNotSupported:
            try:
                self._read_staff(name, session)
            finally:
                session.close()
            return
        except PcscError as exc:
            if exc.code in _SERVICE_GONE:
                raise
            gone = exc.code in _CARD_GONE or session.card_gone()
            self._fail(name, "card_removed_mid_read" if gone else "card_unreadable", exc)
            return
        except sscard.ApduError as exc:
            self._fail(name, "card_removed_mid_read" if session.card_gone() else exc.reason, exc)
            return
        finally:
            session.close()
        self.reads += 1
        card_id = card_digest(document)
        before = self._unsure.pop(name, None)
        self._cards[name], self._ids[name] = "read", card_id
        if before is not None:
            if before[0] == card_id:  # the same card after a drop-out: the session goes on
                log.info("same card after a reader drop-out", extra={"event": "reader_card_same"})
                return
            log.warning("a different card after a reader drop-out: the old session ends",
                        extra={"event": "reader_card_swapped"})
            self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))
        self._emit(ReaderEvent(ReaderEventKind.CARD_PRESENTED, document=document))

    def _read_staff(self, name: str, session: CardSession) -> None:
        """Not a citizen's card: a staff card? It signs a fresh challenge; the core checks the answer."""
        try:
            answer = staffcard.authenticate(session.transmit)
        except staffcard.NotAStaffCard as exc:
            self._fail(name, "card_unsupported", exc)
            return
        except (PcscError, sscard.ApduError) as exc:
            if isinstance(exc, PcscError) and exc.code in _SERVICE_GONE:
                raise
            gone = (isinstance(exc, PcscError) and exc.code in _CARD_GONE) or session.card_gone()
            reason = "staff_card_pulled" if gone else "staff_card_unreadable"
            log.info("staff card not read", extra={"event": "staff_card_failed", "reason": reason,
                                                    "error": type(exc).__name__})
            self._cards[name] = "staff"
            self._emit(ReaderEvent(ReaderEventKind.STAFF_CARD_PRESENTED, reason=reason))
            return
        if self._unsure.pop(name, None) is not None:  # a staff card where a citizen's card was: that session ends
            self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))
        self._cards[name] = "staff"
        self._emit(ReaderEvent(ReaderEventKind.STAFF_CARD_PRESENTED, staff_card=answer))

    def _fail(self, name: str, reason: str, exc: Exception) -> None:
        log.info("card read failed", extra={"event": "card_read_failed", "reason": reason,
                                            "error": type(exc).__name__, "code": getattr(exc, "code", None)})
        if self._unsure.pop(name, None) is not None:  # cannot tell it is the same card: the old session ends
            self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))
        self._cards[name] = "failed"
        self._ids.pop(name, None)
        self._emit(ReaderEvent(ReaderEventKind.READ_FAILED, reason=reason))


def read_staff_card_key(name_filter: str = "", trace: Trace | None = None) -> tuple[str, bytes]:
    """Provisioning: the staff number and public key of the staff card lying in a reader.

    The card must also sign a fresh challenge with that key, so a card that merely reports
    someone's key is refused. Raises PcscError, sscard.ApduError or LookupError (no card).
    """
    from kiosk.staff_card import verify_answer

    hresult, context = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
    if hresult != S.SCARD_S_SUCCESS:
        raise PcscError("SCardEstablishContext", hresult)
    try:
        for reader in [r for r in list_readers(context) if name_filter in r]:
            try:
                session = CardSession(context, reader, trace)
            except PcscError as exc:
                if exc.code in _CARD_GONE:
                    continue
                raise
            try:
                key = staffcard.read_public_key(session.transmit)
                answer = staffcard.authenticate(session.transmit)
            finally:
                session.close()
            if not verify_answer(answer, key):
                raise sscard.MalformedResponse("the card's signature does not match the key it reports")
            return answer.number, key
        raise LookupError("no card in any reader")
    finally:
        S.SCardReleaseContext(context)
