"""Body decompression for the mocks and the client, bounded so a small bomb cannot eat memory.

Every decoder is incremental and stops as soon as its output passes the limit: a 3 KB brotli
answer that would expand to 2 GiB costs at most `limit` bytes and a few milliseconds, never the
whole expansion (issue 8 item 9). `Decoder` serves a stream fed chunk by chunk (the client);
`decode_body` a body already in hand (the mocks).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]
import zstandard

# Content-Encoding names the vendors accept; Datadog spells zstd `zstd1`.
ENCODINGS = ("identity", "gzip", "deflate", "br", "zstd", "zstd1")
# Output is produced at most this much at a time, so a limit is checked before memory grows.
STEP = 64 * 1024


class DecodeError(ValueError):
    """The body could not be decoded; `reason` is what the mock reports."""

    too_large = False


class TooLarge(DecodeError):
    """The decoded body passed the limit; decoding stopped there."""

    too_large = True


_Step = Callable[[bytes], bytes]


class Decoder:
    """One Content-Encoding, decoded incrementally: `feed` chunks, then `finish`.

    Raises TooLarge the moment the output passes `limit`, DecodeError on bad data or an
    unsupported encoding."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        self.name = (encoding or "identity").strip().lower()
        self.limit = limit
        self._out = bytearray()
        self._feed, self._done = self._pick()

    def _pick(self) -> tuple[_Step, Callable[[], bool]]:
        name = self.name
        if name in ("", "identity"):
            return (lambda chunk: chunk), (lambda: True)
        if name == "gzip":
            return self._zlib(zlib.MAX_WBITS | 16)
        if name == "deflate":
            return self._deflate()
        if name == "br":
            return self._brotli()
        if name in ("zstd", "zstd1"):
            return self._zstd()
        raise DecodeError(f"unsupported content encoding {name!r}")

    def feed(self, chunk: bytes) -> None:
        try:
            self._append(self._feed(chunk))
        except (zlib.error, brotli.error, zstandard.ZstdError, EOFError) as exc:
            raise DecodeError(f"failed to decode {self.name} payload: {exc}") from None

    def finish(self) -> bytes:
        try:
            self._append(self._feed(b""))
            complete = self._done()
        except (zlib.error, brotli.error, zstandard.ZstdError, EOFError) as exc:
            raise DecodeError(f"failed to decode {self.name} payload: {exc}") from None
        if not complete:
            raise DecodeError("truncated compressed stream")
        return bytes(self._out)

    def _append(self, data: bytes) -> None:
        self._out += data
        if len(self._out) > self.limit:
            raise TooLarge(f"decompressed body exceeds the size limit ({self.limit} bytes)")

    def _room(self) -> int:
        return max(1, min(STEP, self.limit + 1 - len(self._out)))

    def _zlib(self, wbits: int) -> tuple[_Step, Callable[[], bool]]:
        decompressor = zlib.decompressobj(wbits)

        def step(chunk: bytes) -> bytes:
            data = decompressor.unconsumed_tail + chunk
            while True:
                out = decompressor.decompress(data, self._room())
                self._append(out)
                data = decompressor.unconsumed_tail
                if not data or decompressor.eof:
                    return b""

        return step, lambda: decompressor.eof

    def _deflate(self) -> tuple[_Step, Callable[[], bool]]:
        # HTTP "deflate" is zlib-wrapped; some clients send raw deflate. Accept both: the first
        # chunk decides (a zlib header is two bytes whose big-endian value is a multiple of 31).
        chosen: list[tuple[_Step, Callable[[], bool]]] = []

        def step(chunk: bytes) -> bytes:
            if not chosen:
                if not chunk:
                    return b""
                wrapped = _zlib_header(chunk)
                chosen.append(self._zlib(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS))
            return chosen[0][0](chunk)

        return step, lambda: bool(chosen) and chosen[0][1]()

    def _brotli(self) -> tuple[_Step, Callable[[], bool]]:
        decompressor = brotli.Decompressor()

        def step(chunk: bytes) -> bytes:
            self._append(decompressor.process(chunk, output_buffer_limit=self._room()))
            # More output is pending while it cannot take input: drain it, bounded.
            while not decompressor.can_accept_more_data() and not decompressor.is_finished():
                self._append(decompressor.process(b"", output_buffer_limit=self._room()))
            return b""

        return step, lambda: bool(decompressor.is_finished())

    def _zstd(self) -> tuple[_Step, Callable[[], bool]]:
        # zstandard's decompressobj cannot cap its output (one RLE block of 3 bytes is 128 KiB
        # out), so the compressed bytes are kept (the client caps them) and decoded at the end
        # through a stream reader, which reads at most what is asked.
        pending = bytearray()

        def step(chunk: bytes) -> bytes:
            pending.extend(chunk)
            return b""

        def done() -> bool:
            if pending:
                with zstandard.ZstdDecompressor().stream_reader(bytes(pending)) as reader:
                    while piece := reader.read(self._room()):
                        self._append(piece)
                pending.clear()
            return True

        return step, done


def _zlib_header(chunk: bytes) -> bool:
    """RFC 1950: method 8 in the low nibble, and the first two bytes a multiple of 31."""
    return len(chunk) >= 2 and chunk[0] & 0x0F == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0


def decode_body(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Decode one Content-Encoding; raises DecodeError (bad data, unknown encoding) or TooLarge."""
    decoder = Decoder(encoding, limit)
    decoder.feed(body)
    return decoder.finish()
