"""The digests every cache and up-to-date record keys content by: XXH3, 128 bits.

They tell whether content changed, never guard against anyone: rsync (3.2 and later) checks
the files it sends with the same hash. A build digests every source after a CI checkout
(85 MB at 10,000 essays) and every body again when it renders: XXH3 does that in 5 ms where
BLAKE2b took 130 ms, and a short value (a field of a model object, hashed some hundred
thousand times a build) in 30 ns rather than 360 ns. The digests are the same on every
machine and in every process (XXH3's canonical form is fixed, whatever the byte order).
"""

from __future__ import annotations

import xxhash

new = xxhash.xxh3_128  # a digest of many parts: ``new()``, then ``update`` for each


def of(data: bytes) -> bytes:
    """16 bytes, for content kept or compared as bytes (source files)."""
    return xxhash.xxh3_128_digest(data)


def short(data: bytes) -> bytes:
    """8 bytes, for tokens compared one by one (the fields a page was seen to read)."""
    return xxhash.xxh3_64_digest(data)


def hex_of(data: bytes) -> str:
    """32 hex digits, for keys kept as text (cache keys, file names)."""
    return xxhash.xxh3_128_hexdigest(data)


def text_hex(text: str) -> str:
    """:func:`hex_of` a text (lone surrogates from undecodable file names kept as they are)."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))
