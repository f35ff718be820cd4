"""Body decompression for the mocks and the client, bounded so a small bomb cannot eat memory."""

from __future__ import annotations

import zlib

import brotli  # type: ignore[import-untyped]
import zstandard

# Content-Encoding names the vendors accept; Datadog spells zstd `zstd1`.
ENCODINGS = ("identity", "gzip", "deflate", "br", "zstd", "zstd1")


class DecodeError(ValueError):
    """The body could not be decoded; `reason` is what the mock reports."""


def decode_body(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Decode one Content-Encoding; raises DecodeError (bad data, unknown encoding, over limit)."""
    name = (encoding or "identity").strip().lower()
    try:
        if name in ("", "identity"):
            out = body
        elif name == "gzip":
            out = _zlib(body, zlib.MAX_WBITS | 16, limit)
        elif name == "deflate":
            out = _deflate(body, limit)
        elif name == "br":
            out = brotli.decompress(body)
        elif name in ("zstd", "zstd1"):
            with zstandard.ZstdDecompressor().stream_reader(body) as reader:
                out = reader.read(limit + 1)
        else:
            raise DecodeError(f"unsupported content encoding {name!r}")
    except (zlib.error, brotli.error, zstandard.ZstdError, EOFError) as exc:
        raise DecodeError(f"failed to decode {name} payload: {exc}") from None
    if len(out) > limit:
        raise DecodeError("decompressed body exceeds the size limit")
    return out


def _zlib(body: bytes, wbits: int, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    out = decompressor.decompress(body, limit + 1)
    if not decompressor.eof and len(out) <= limit:
        raise DecodeError("truncated compressed stream")
    return out


def _deflate(body: bytes, limit: int) -> bytes:
    # HTTP "deflate" is zlib-wrapped; some clients send raw deflate. Accept both.
    try:
        return _zlib(body, zlib.MAX_WBITS, limit)
    except zlib.error:
        return _zlib(body, -zlib.MAX_WBITS, limit)
