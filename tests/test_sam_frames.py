"""GA 467 frames and card text: known frames byte-exact, and property tests that every
malformed input gives a typed error (never another exception)."""

from __future__ import annotations

import dataclasses
import datetime as _dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices import sam_frames as sf
from devices.sam_text import CardTextError, decode_text, encode_text, load_photo_decoder
from devices.sim_people import FOREIGN_PR_2017_PERSON, SAM_CARD_TYPES, SAMPLE_PEOPLE
from kiosk.ethnicity import ETHNICITIES, ethnicity_name
from kiosk.i18n import table
from kiosk.identity import DocumentType, IdentityDocument
from kiosk.idnumbers import id_check_digit

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_known_request_frames_byte_exact() -> None:
    """GIVEN the commands WHEN framed THEN the bytes match the published frames."""
    expected = {
        sf.Command.FIND_CARD: "aaaaaa9669 0003 2001 22",
        sf.Command.SELECT_CARD: "aaaaaa9669 0003 2002 21",
        sf.Command.READ_TEXT_PHOTO: "aaaaaa9669 0003 3001 32",
        sf.Command.READ_TEXT_PHOTO_FINGERPRINT: "aaaaaa9669 0003 3010 23",
        sf.Command.SAM_ID: "aaaaaa9669 0003 12ff ee",
        sf.Command.RESET: "aaaaaa9669 0003 10ff ec",
        sf.Command.STATUS: "aaaaaa9669 0003 11ff ed",
    }
    for command, hexed in expected.items():
        assert sf.build_request(command) == bytes.fromhex(hexed.replace(" ", ""))


def test_read_reply_is_1295_bytes_with_the_published_offsets() -> None:
    record = sf.CardRecord(encode_text(SAMPLE_PEOPLE[0]), bytes(range(256)) * 4)
    frame = sf.build_response(sf.SW3_OK, sf.join_card_data(record))
    assert len(frame) == 1295
    assert frame[10:12] == (256).to_bytes(2, "big") and frame[12:14] == (1024).to_bytes(2, "big")
    assert frame[14:270] == record.text and frame[270:1294] == record.photo
    assert sf.split_card_data(sf.parse_response(frame).data) == record


def test_fingerprint_reply_splits() -> None:
    record = sf.CardRecord(encode_text(SAMPLE_PEOPLE[1]), b"\x01" * 1024, b"\x02" * 1024)
    data = sf.join_card_data(record, fingerprint=True)
    assert sf.split_card_data(data, fingerprint=True) == record
    with pytest.raises(sf.BadLength):
        sf.split_card_data(data)


def test_every_sw3_has_a_message_in_three_languages() -> None:
    keys = {key for _, key in sf.SW3_STATUS.values() if key} | {sf.SW3_UNKNOWN_KEY}
    for key in keys | {"card_data_invalid", "reader_no_reply", "reader_bad_frame", "card_removed_mid_read"}:
        for lang in ("zh-CN", "zh-TW", "en"):
            assert table()[lang].get(key), f"{key} missing in {lang}"
    assert sf.sw3_message_key(0x90) == "" and sf.sw3_message_key(0x55) == sf.SW3_UNKNOWN_KEY


def test_assembler_handles_split_garbage_and_back_to_back_frames() -> None:
    a, b = sf.build_response(0x9F, b"\0\0\0\0"), sf.build_response(0x90, b"x" * 8)
    asm = sf.FrameAssembler()
    stream = b"\x00\xff\xaa" + a + b
    bodies = []
    for i in range(len(stream)):
        bodies += asm.feed(stream[i : i + 1])
    assert [sf.SamResponse.from_body(x).sw3 for x in bodies] == [0x9F, 0x90]
    assert asm.skipped == 3 and asm.pending == 0


def test_assembler_gives_up_on_endless_garbage() -> None:
    asm = sf.FrameAssembler(max_garbage=100)
    with pytest.raises(sf.NoPreamble):
        asm.feed(b"\x55" * 200)


@FAST
@given(st.binary(max_size=1400))
def test_parse_frame_never_raises_untyped(data: bytes) -> None:
    try:
        sf.parse_response(data)
    except sf.FrameError:
        pass


@FAST
@given(st.integers(0, 1294), st.data())
def test_truncated_and_bit_flipped_replies_give_typed_errors(cut: int, data: st.DataObject) -> None:
    frame = bytearray(sf.build_response(sf.SW3_OK, sf.join_card_data(
        sf.CardRecord(encode_text(SAMPLE_PEOPLE[0]), b"\x11" * 1024))))
    with pytest.raises(sf.FrameError):
        sf.parse_response(bytes(frame[:cut]))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(frame) - 1), st.integers(0, 7)), min_size=1, max_size=3))
    for pos, bit in flips:
        frame[pos] ^= 1 << bit
    try:
        response = sf.parse_response(bytes(frame))
    except sf.FrameError:
        return
    # a flip that survives framing (even count in one column) must still fail or decode cleanly
    try:
        record = sf.split_card_data(response.data)
        decode_text(record.text, record.photo)
    except (sf.FrameError, CardTextError):
        pass


@FAST
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_assembler_on_random_chunks_raises_only_typed_errors(chunks: list[bytes]) -> None:
    asm = sf.FrameAssembler(max_garbage=512)
    for chunk in chunks:
        try:
            for body in asm.feed(chunk):
                sf.SamResponse.from_body(body)
        except sf.FrameError:
            asm.reset()


@FAST
@given(st.binary(min_size=256, max_size=256), st.binary(max_size=1024))
def test_decode_text_random_bytes_typed_error(text: bytes, photo: bytes) -> None:
    try:
        doc = decode_text(text, photo)
    except CardTextError as exc:
        assert exc.reason in ("card_data_invalid", "card_unsupported")
        return
    assert doc.source == "sam"


@FAST
@given(st.sampled_from(SAM_CARD_TYPES), st.integers(0, 255), st.integers(0, 7))
def test_bit_flip_in_text_decodes_or_fails_typed(person: IdentityDocument, pos: int, bit: int) -> None:
    text = bytearray(encode_text(person))
    text[pos] ^= 1 << bit
    try:
        decode_text(bytes(text))
    except CardTextError:
        pass


@FAST
@given(st.sampled_from(SAM_CARD_TYPES), st.integers(0, 255))
def test_truncated_text_is_refused(person: IdentityDocument, cut: int) -> None:
    with pytest.raises(CardTextError):
        decode_text(encode_text(person)[:cut])


def test_all_four_card_types_round_trip() -> None:
    for person in SAM_CARD_TYPES + tuple(SAMPLE_PEOPLE):
        doc = decode_text(encode_text(person), b"W" * 1024)
        for name in ("doc_type", "name", "name_en", "sex", "birth_date", "number", "valid_from", "valid_to",
                     "ethnicity", "address", "nationality", "authority"):
            assert getattr(doc, name) == getattr(person, name), name
        assert doc.photo == b"W" * 1024 and doc.photo_format == "wlt"
        assert doc.extra["photo_status"] == "not_decodable"
        assert doc.problems() == []
    assert decode_text(encode_text(FOREIGN_PR_2017_PERSON)).extra["version"] == "01"


_CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=15)
_LATIN = st.from_regex(r"[A-Z]{1,14}( [A-Z]{1,14}){0,2}", fullmatch=True)  # ≤ 44: fits every layout (2023: 46)
_DAY = st.dates(_dt.date(1900, 1, 1), _dt.date(2099, 12, 31))


@st.composite
def _documents(draw: st.DrawFn) -> IdentityDocument:
    base = draw(st.sampled_from(SAM_CARD_TYPES))
    birth = draw(st.dates(_dt.date(1900, 1, 1), _dt.date(2020, 12, 31)))
    start = draw(_DAY.filter(lambda d: d >= birth))
    end = draw(st.none() | _DAY.filter(lambda d: d >= start))
    changes: dict[str, object] = {"name": draw(_CJK), "sex": draw(st.sampled_from("MF")), "birth_date": birth,
                                  "valid_from": start, "valid_to": end}
    if base.doc_type is DocumentType.RESIDENT_ID:
        changes["ethnicity"] = draw(st.sampled_from(sorted(ETHNICITIES)))
        changes["address"] = draw(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=35))
    if base.doc_type in (DocumentType.RESIDENT_ID, DocumentType.HMT_RESIDENCE_PERMIT,
                         DocumentType.FOREIGN_PR_2023):
        first17 = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)) + birth.strftime("%Y%m%d") + "123"
        changes["number"] = first17 + id_check_digit(first17)
    if base.doc_type is not DocumentType.RESIDENT_ID and base.name_en:
        changes["name_en"] = draw(_LATIN)
    return dataclasses.replace(base, **changes)


@FAST
@given(_documents())
def test_round_trip_property(doc: IdentityDocument) -> None:
    back = decode_text(encode_text(doc))
    for name in ("doc_type", "name", "name_en", "sex", "birth_date", "number", "valid_from", "valid_to",
                 "ethnicity", "address", "nationality"):
        assert getattr(back, name) == getattr(doc, name), name


def test_long_term_and_bad_dates() -> None:
    doc = decode_text(encode_text(SAMPLE_PEOPLE[2]))
    assert doc.valid_to is None
    bad = dataclasses.replace(SAMPLE_PEOPLE[0], valid_from=_dt.date(1980, 1, 1))
    with pytest.raises(CardTextError):
        decode_text(encode_text(bad))
    text = bytearray(encode_text(SAMPLE_PEOPLE[0]))
    text[36:52] = "20230231".encode("utf-16-le")
    with pytest.raises(CardTextError, match="not a real date"):
        decode_text(bytes(text))


def test_unknown_type_mark_is_unsupported_and_ethnicity_checked() -> None:
    text = bytearray(encode_text(SAMPLE_PEOPLE[0]))
    text[248:250] = "Z".encode("utf-16-le")
    with pytest.raises(CardTextError) as err:
        decode_text(bytes(text))
    assert err.value.reason == "card_unsupported"
    text = bytearray(encode_text(SAMPLE_PEOPLE[0]))
    text[32:36] = "77".encode("utf-16-le")
    with pytest.raises(CardTextError, match="ethnicity"):
        decode_text(bytes(text))
    assert ethnicity_name("05") == "维吾尔" and ethnicity_name("98") and len(ETHNICITIES) == 58


def test_errors_carry_no_card_data() -> None:
    person = SAMPLE_PEOPLE[0]
    text = bytearray(encode_text(person))
    text[30:32] = "7".encode("utf-16-le")
    with pytest.raises(CardTextError) as err:
        decode_text(bytes(text))
    assert person.name not in str(err.value) and person.number not in str(err.value)


def bmp_decoder(wlt: bytes) -> bytes:
    return b"BM" + wlt[:10]


def broken_decoder(wlt: bytes) -> bytes:
    raise RuntimeError("licence missing")


def test_photo_decoder_hook() -> None:
    text = encode_text(SAMPLE_PEOPLE[0])
    decoder = load_photo_decoder("tests.test_sam_frames:bmp_decoder")
    doc = decode_text(text, b"W" * 1024, photo_decoder=decoder)
    assert doc.photo_format == "bmp" and doc.photo.startswith(b"BM") and doc.extra["photo_status"] == "decoded"
    doc = decode_text(text, b"W" * 1024, photo_decoder=load_photo_decoder("tests.test_sam_frames.broken_decoder"))
    assert doc.photo_format == "wlt" and doc.photo == b"W" * 1024 and doc.extra["photo_status"] == "decoder_failed"
    assert load_photo_decoder("") is None
    with pytest.raises(ValueError, match="cannot be loaded"):
        load_photo_decoder("no_such_module:decode")
