"""The deflate that social cards are compressed with.

ISA-L's (the ``isal`` package, a dependency) compresses a card's rows about nine times as
fast as zlib's fastest level, and a little smaller: at 10,000 essays, seconds of a cold
build. zlib stays for an install without it; the pixels are the same, the bytes are not,
so :data:`NAME` goes into what a kept card was made with.
"""

from __future__ import annotations

import zlib
from types import ModuleType

deflate: ModuleType
try:
    import isal
    from isal import isal_zlib

    deflate, NAME = isal_zlib, f"isal {isal.__version__}"
except ImportError:  # pragma: no cover - isal is a dependency
    deflate, NAME = zlib, f"zlib {zlib.ZLIB_RUNTIME_VERSION}"


def compressed(data: bytes | bytearray | memoryview) -> bytes:
    """``data`` as raw deflate (no header) ended with a sync flush: byte-aligned and not
    final, so such pieces join into one stream."""
    compressor = deflate.compressobj(1, deflate.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(deflate.Z_SYNC_FLUSH)
