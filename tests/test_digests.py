"""The digests caches are keyed by are XXH3's canonical ones: the same on every machine,
so a cache folder restored on another CI runner still says what is unchanged."""

from passivepress import digests


def test_the_digests_are_xxh3_s_reference_values():
    # XXH3's published values for the empty input (xxhash's own tests, seed 0).
    assert digests.hex_of(b"") == "99aa06d3014798d86001c324468d497f"
    assert digests.of(b"") == bytes.fromhex("99aa06d3014798d86001c324468d497f")
    assert digests.short(b"") == bytes.fromhex("2d06800538d394c2")
    assert digests.hex_of(b"abc") == "06b05ab6733a618578af5f94892f3950"


def test_a_digest_of_parts_is_the_digest_of_their_bytes_and_a_text_s_of_its_utf8():
    h = digests.new()
    for part in (b"essay", b"\0", b"body"):
        h.update(part)
    assert h.hexdigest() == digests.hex_of(b"essay\0body")
    assert digests.text_hex("Café") == digests.hex_of("Café".encode())
    # An undecodable file name's lone surrogate is digested, not refused.
    assert digests.text_hex("a\udcff") == digests.hex_of(b"a\xed\xb3\xbf")


def test_different_content_gives_different_digests():
    texts = [f"An essay, version {n}.".encode() for n in range(1000)]
    assert len({digests.of(t) for t in texts}) == 1000
    assert len({digests.short(t) for t in texts}) == 1000
