"""File signatures (SM2/SM3 and ECDSA P-256), request signing, and the response parsers."""

from __future__ import annotations

import datetime as dt

import pytest
from gmssl import sm2
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.certificate_ids import is_valid_holder_code, is_valid_identifier, make_identifier
from sync.device_key import DeviceKey
from sync.platform_parsing import (
    BadData,
    parse_certificate,
    parse_file_signature,
    parse_public_key,
    parse_retry_after,
    parse_service,
    problem_slug,
)
from sync.request_signing import KioskRevoked, MemoryNonceStore, RequestRejected, RequestVerifier, sign_request
from sync.signatures import (
    ECDSA_P256,
    SM2_SM3,
    FileSignature,
    SignatureRejected,
    SigningKey,
    normalize_sm2_public_key,
    sm2_digest,
    verify_file,
    verify_signature,
)

START, END = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2034, 1, 1, tzinfo=dt.UTC)
PDF = b"%PDF-1.4 fictitious certificate " * 50


def key(alg: str, secret: int = 7) -> SigningKey:
    return SigningKey("k1", alg, secret, START, END)


@pytest.mark.parametrize("alg", [SM2_SM3, ECDSA_P256])
def test_sign_and_verify_and_tamper(alg: str) -> None:
    k = key(alg)
    sig = k.sign_file("c1", PDF)
    keys = {"k1": k.public}
    verify_file(keys, "c1", PDF, sig)
    flipped = bytes([sig.value[0] ^ 1]) + sig.value[1:]
    for data, cert_id, s in ((PDF[:-1] + b"!", "c1", sig), (PDF, "c2", sig),
                             (PDF, "c1", FileSignature("k1", alg, sig.signed_at, flipped)),
                             (PDF, "c1", FileSignature("k1", alg, sig.signed_at + dt.timedelta(seconds=1), sig.value))):
        with pytest.raises(SignatureRejected, match="mismatch"):
            verify_file(keys, cert_id, data, s)
    with pytest.raises(SignatureRejected, match="unknown_key"):
        verify_file({"other": k.public}, "c1", PDF, sig)


def test_stamp_fields_are_signed() -> None:
    k = key(SM2_SM3)
    stamp = {"verify_code": "ABCD", "verify_url": "http://x/v1/verify/ABCD", "expires": "2030-01-01"}
    sig = k.sign_file("c1", PDF, **stamp)
    verify_file({"k1": k.public}, "c1", PDF, sig, **stamp)
    with pytest.raises(SignatureRejected):
        verify_file({"k1": k.public}, "c1", PDF, sig, **dict(stamp, expires="2031-01-01"))


def test_expired_key_and_wrong_algorithm() -> None:
    old = SigningKey("k1", SM2_SM3, 7, dt.datetime(2019, 1, 1, tzinfo=dt.UTC), dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
    sig = old.sign_file("c1", PDF)
    with pytest.raises(SignatureRejected, match="key_expired"):
        verify_file({"k1": old.public}, "c1", PDF, sig)
    good = key(ECDSA_P256).sign_file("c1", PDF)
    with pytest.raises(SignatureRejected, match="algorithm_mismatch"):
        verify_file({"k1": key(SM2_SM3).public}, "c1", PDF, good)


def test_gmssl_leading_04_key_is_normalised() -> None:
    """gmssl 3.2.2 lstrips "0" and "4" characters: a key whose X starts with 04 breaks it."""
    k = SigningKey("k1", SM2_SM3, 10, START, END)  # this secret gives X = 04b3...
    assert k.public.public_key.startswith("0404")
    sig = k.sign_file("c1", PDF)
    verify_file({"k1": k.public}, "c1", PDF, sig)  # ours normalises and works
    naive = sm2.CryptSM2(private_key="", public_key=k.public.public_key)
    assert naive.public_key != k.public.public_key[2:]  # the library's own handling corrupts it
    raw = k.public.public_key[2:]
    assert normalize_sm2_public_key(raw) == raw == normalize_sm2_public_key(bytes.fromhex(k.public.public_key))
    also_raw = sm2.CryptSM2(private_key="", public_key=raw)
    assert also_raw.public_key != raw  # even without the prefix gmssl eats the leading "04"


def test_sm2_digest_matches_gmssl_and_interoperates() -> None:
    k = key(SM2_SM3)
    raw = k.public.public_key[2:]
    crypt = sm2.CryptSM2(private_key=k._private_hex, public_key="")
    crypt.public_key = raw
    assert sm2_digest(raw, b"message").hex() == crypt._sm3_z(b"message")
    theirs = crypt.sign_with_sm3(b"message", "11" * 32)  # signed by gmssl's own SM3 path
    assert verify_signature(k.public, b"message", bytes.fromhex(theirs))
    ours = k.sign(b"message")
    assert crypt.verify_with_sm3(ours.hex(), b"message")


def test_key_with_leading_4_digit() -> None:
    k = SigningKey("k1", SM2_SM3, 12345, START, END)  # X = 4a...: lstrip("04") would eat three characters
    assert k.public.public_key.startswith("044")
    verify_file({"k1": k.public}, "c1", PDF, k.sign_file("c1", PDF))


@pytest.mark.parametrize("bad", ["", "04", "zz" * 65, "04" + "00" * 64, "05" + "11" * 64, "11" * 10])
def test_bad_sm2_keys_are_refused(bad: str) -> None:
    with pytest.raises(SignatureRejected, match="bad_key"):
        normalize_sm2_public_key(bad)


# ------------------------------------------------------------------ request signing

def test_request_signature_replay_and_skew() -> None:
    now = [1_700_000_000.0]
    key, other = DeviceKey.generate(), DeviceKey.generate()

    def key_for(kiosk_id: str):
        if kiosk_id == "kiosk-gone":
            raise KioskRevoked("kiosk_revoked")
        return key.public if kiosk_id == "kiosk-1" else None

    verifier = RequestVerifier(key_for, MemoryNonceStore(), clock=lambda: now[0])

    def signed(k: DeviceKey = key, kiosk: str = "kiosk-1", **kw) -> dict[str, str]:
        return sign_request(k, kiosk, "POST", "/v1/x", b"{}", **{"now": now[0], **kw})

    headers = signed()
    assert verifier.verify("POST", "/v1/x", headers, b"{}") == "kiosk-1"
    with pytest.raises(RequestRejected, match="replay"):
        verifier.verify("POST", "/v1/x", headers, b"{}")
    granted = signed(grant="g" * 43)
    assert verifier.verify("POST", "/v1/x", granted, b"{}") == "kiosk-1"
    for method, target, body, hdrs, reason in (
            ("POST", "/v1/x", b"{1}", signed(), "body_hash"),
            ("POST", "/v1/y", b"{}", signed(), "bad_signature"),
            ("POST", "/v1/x", b"{}", signed(other), "bad_signature"),
            ("POST", "/v1/x", b"{}", {**signed(grant="g" * 43), "X-Kiosk-Grant": "h" * 43}, "bad_signature"),
            ("POST", "/v1/x", b"{}", {**signed(), "X-Kiosk-Signature": "bm90IGEgc2lnbmF0dXJl"}, "bad_signature"),
            ("POST", "/v1/x", b"{}", signed(kiosk="kiosk-2"), "unknown_kiosk"),
            ("POST", "/v1/x", b"{}", signed(kiosk="kiosk-gone"), "kiosk_revoked"),
            ("POST", "/v1/x", b"{}", signed(kiosk="kiosk 1"), "unknown_kiosk"),
            ("POST", "/v1/x", b"{}", signed(nonce="AB" * 16), "bad_nonce"),
            ("POST", "/v1/x", b"{}", signed(nonce="ab" * 15), "bad_nonce"),
            ("POST", "/v1/x", b"{}", signed(nonce="../" * 11 + "a"), "bad_nonce"),
            ("POST", "/v1/x", b"{}", {}, "unsigned"),
            ("POST", "/v1/x", b"{}", signed(now=now[0] - 301), "clock_skew"),
            ("POST", "/v1/x", b"{}", signed(now=now[0] + 301), "clock_skew")):
        with pytest.raises(RequestRejected, match=reason):
            verifier.verify(method, target, hdrs, body)
    now[0] += 10_000  # long after: the nonce has aged out, but the timestamp is now skewed
    with pytest.raises(RequestRejected, match="clock_skew"):
        verifier.verify("POST", "/v1/x", headers, b"{}")


def test_nonces_are_kept_for_the_whole_window_however_many_arrive() -> None:
    """A flood of other requests does not push a nonce out: only time does, after the skew window."""
    store, now = MemoryNonceStore(), 1_000.0
    assert store.remember("k", "a" * 32, now, now + 301)
    for i in range(20_000):
        assert store.remember("k", f"{i:032x}", now, now + 301)
    assert not store.remember("k", "a" * 32, now + 300, now + 601)  # still remembered at the edge of the window
    assert store.remember("k", "a" * 32, now + 302, now + 603)  # gone only once no signature could pass


# ------------------------------------------------------------------ certificate identifiers

def test_identifier_and_holder_codes() -> None:
    ident = make_identifier("01001", "91330106MA2B3C4D5D", "000000000042", "1")
    assert is_valid_identifier(ident)
    assert not is_valid_identifier(ident.replace("91330106MA2B3C4D5D", "91330106MA2B3C4D5E"))
    assert is_valid_holder_code("resident_id", "110101198503120033")
    assert not is_valid_holder_code("resident_id", "110101198503120034")
    assert is_valid_holder_code("uscc", "91330106MA2B3C4D5D") and not is_valid_holder_code("uscc", "91330106MA2B3C4D5E")
    assert is_valid_holder_code("other_document", "H60123456") and not is_valid_holder_code("passport", "H1")


# ------------------------------------------------------------------ parsers never crash on garbage

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=6), max_leaves=20)
CERT_KEYS = ["cert_id", "name", "number", "identifier", "issuer", "issuer_code", "issue_date", "valid_until",
             "holder_name", "holder_code", "holder_type", "fields"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.fixed_dictionaries({k: json_values for k in CERT_KEYS})))
def test_parsers_raise_only_bad_data(value: object) -> None:
    for parser in (parse_certificate, parse_service, parse_public_key):
        try:
            parser(value)
        except BadData:
            pass
    assert isinstance(problem_slug(value), str)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["X-File-Signature-Key-Id", "X-File-Signature-Algorithm", "X-File-Signed-At",
                                        "X-File-Signature"]),
                       st.one_of(st.text(max_size=40), st.sampled_from([SM2_SM3, ECDSA_P256, "2024-05-01T00:00:00Z",
                                                                        "AAAAAAAAAAAA", "sm2-2024"]))),
       st.one_of(st.none(), st.text(max_size=20)))
def test_signature_headers_and_retry_after(headers: dict[str, str], retry_after: str | None) -> None:
    try:
        sig = parse_file_signature(headers)
    except SignatureRejected:
        pass
    else:
        assert sig.algorithm in (SM2_SM3, ECDSA_P256) and sig.signed_at.tzinfo is not None
    seconds = parse_retry_after(retry_after)
    assert seconds is None or 0 <= seconds <= 86400
