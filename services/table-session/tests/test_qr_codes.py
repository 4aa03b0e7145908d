"""A spot's QR code, as PNG and SVG, encodes the spot's guest URL `{public_base_url}/t/{token}`.

No QR decoder is installed here, so the PNG is read back module by module (segno writes 1-bit
greyscale rows, unfiltered or repeating the row above) and compared with the matrix of the
expected URL.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
import segno
from litestar.testing import AsyncTestClient

from convive.table_session.app import create_app
from convive.table_session.settings import Settings

pytestmark = pytest.mark.infra

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BASE_URL = "https://guests.example.test/convive"


def png_pixels(png: bytes) -> list[list[bool]]:
    """The pixels of a 1-bit greyscale, unfiltered PNG: True where black."""
    assert png.startswith(PNG_SIGNATURE)
    pos, header, idat = len(PNG_SIGNATURE), b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", header)
    assert (depth, colour) == (1, 0), "expected 1-bit greyscale"
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8
    pixels, previous = [], bytes(stride)
    for y in range(height):
        kind, row = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        if kind == 2:  # "Up": each byte adds the byte above it
            row = bytearray((b + a) & 0xFF for b, a in zip(row, previous, strict=True))
        elif kind == 1:  # "Sub": each byte adds the byte before it
            for i in range(1, stride):
                row[i] = (row[i] + row[i - 1]) & 0xFF
        else:
            assert kind == 0, f"PNG filter {kind} not handled by this reader"
        pixels.append([not (row[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = bytes(row)
    return pixels


def modules(pixels: list[list[bool]], scale: int, border: int) -> list[list[bool]]:
    """The QR modules, sampled at the centre of each scaled module inside the quiet zone."""
    count = len(pixels) // scale - 2 * border
    middle = [(border + i) * scale + scale // 2 for i in range(count)]
    return [[pixels[y][x] for x in middle] for y in middle]


async def test_the_qr_codes_encode_the_spots_guest_url(
    service_settings: dict[str, Any], setup_venue: Any
) -> None:
    settings = Settings(**service_settings, public_base_url=BASE_URL)
    async with AsyncTestClient(app=create_app(settings)) as client:
        venue = await setup_venue(client, "v1", "Table 1")
        spot = venue["spots"][0]
        url = f"{BASE_URL}/t/{spot['token']}"
        assert spot["guest_url"] == url

        png = await client.get(f"/spots/{spot['spot_id']}/qr.png")
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        expected = segno.make(url, error="m")
        pixels = png_pixels(png.content)
        scale = len(pixels) // expected.symbol_size(scale=1, border=4)[0]
        assert scale >= 4
        decoded = modules(pixels, scale, border=4)
        assert decoded == [[bool(m) for m in row] for row in expected.matrix]
        assert decoded != [[bool(m) for m in row] for row in segno.make(url + "x").matrix]

        svg = await client.get(f"/spots/{spot['spot_id']}/qr.svg")
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in svg.content
        assert b"<path" in svg.content
        assert b"Table 1" in svg.content
        same = io.BytesIO()
        expected.save(same, kind="svg", scale=10, border=4, title="Table 1")
        assert svg.content == same.getvalue()

        unknown = await client.get("/spots/spot-nope/qr.png")
        assert unknown.status_code == 404
        assert unknown.json()["field"] == "spot_id"
