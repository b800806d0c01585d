"""The deflate that social cards are compressed with.

zlib-ng's (the ``zlib-ng`` package, a dependency) compresses a card's rows about twice as
fast as zlib's fastest level. zlib stays for an install without it; the pixels are the
same, the bytes are not, so :data:`NAME` goes into what a kept card was made with.

Whichever it is must give the same bytes for the same rows in any process, whatever that
process compressed before: a card kept from an earlier build is compared, byte for byte,
with what a clean build makes. ISA-L's deflate (``isal``) was faster still, but it leaves
its hash table as it finds it in memory, and the matches it then tries depend on that: the
same rows came out as other (valid) bytes in a forked process that had made other cards.
zlib-ng bounds every match by the input since 2.3.3; 2.3.3 is what ``zlib-ng`` 1.1 is built
with.
"""

from __future__ import annotations

import zlib
from types import ModuleType

deflate: ModuleType
try:
    import zlib_ng
    from zlib_ng import zlib_ng as _zlib_ng

    deflate, NAME = _zlib_ng, f"zlib-ng {zlib_ng.__version__} ({_zlib_ng.ZLIBNG_VERSION})"
except ImportError:  # pragma: no cover - zlib-ng is a dependency
    deflate, NAME = zlib, f"zlib {zlib.ZLIB_RUNTIME_VERSION}"


def compressed(data: bytes | bytearray | memoryview) -> bytes:
    """``data`` as raw deflate (no header) ended with a sync flush: byte-aligned and not
    final, so such pieces join into one stream."""
    compressor = deflate.compressobj(1, deflate.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(deflate.Z_SYNC_FLUSH)
