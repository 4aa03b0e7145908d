"""Operators' QR tools over HTTP: rotating a spot's token (the old one is gone, 410; an unknown
one stays 404) and the venue's printable sheet (an A4 PDF with every spot's name, QR code and
instruction). The PDF is read back by inflating its content streams (fpdf2 writes the text of
its core fonts as literal strings), with no PDF reader installed."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest

pytestmark = pytest.mark.infra


def pdf_text(pdf: bytes) -> str:
    """The literal strings shown on the PDF's pages, one per line."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        for literal in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return "\n".join(shown)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


async def test_a_rotated_token_is_gone_and_the_new_one_works(
    client: Any, setup_venue: Any, stream_types: Any, event_count: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 1")
    spot = venue["spots"][0]
    rotated = await client.post(f"/spots/{spot['spot_id']}/token/rotate")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["token"] != spot["token"]
    assert len(new["token"]) >= 32
    assert new["guest_url"] == f"http://127.0.0.1:8000/t/{new['token']}"
    assert len(new["event_ids"]) == 1
    assert await stream_types(spot["spot_id"]) == ["SpotCreated", "QrTokenIssued", "QrTokenIssued"]
    listed = (await client.get("/venues/v1/spots")).json()[0]
    assert (listed["token"], listed["guest_url"]) == (new["token"], new["guest_url"])

    before = await event_count()
    gone = await client.post("/scan", json={"token": spot["token"], "device_id": "phone"})
    assert gone.status_code == 410, gone.text
    assert gone.json() == {"status": 410, "error": "this code is no longer valid", "field": "token"}
    unknown = await client.post("/scan", json={"token": "never-issued", "device_id": "phone"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown or expired QR code"
    missing = await client.post("/spots/spot-nope/token/rotate")
    assert missing.status_code == 404
    assert missing.json()["field"] == "spot_id"
    assert await event_count() == before

    opened = await client.post("/scan", json={"token": new["token"], "device_id": "phone"})
    assert opened.status_code == 201, opened.text

    # Rotating again retires the second token too.
    third = (await client.post(f"/spots/{spot['spot_id']}/token/rotate")).json()
    for old in (spot["token"], new["token"]):
        answer = await client.post("/scan", json={"token": old, "device_id": "phone"})
        assert answer.status_code == 410
    recall = await client.post("/scan", json={"token": third["token"], "device_id": "phone"})
    assert (recall.status_code, recall.json()["session_id"]) == (200, opened.json()["session_id"])


async def test_the_qr_sheet_is_an_a4_pdf_with_every_spot(
    client: Any, setup_venue: Any, event_count: Any
) -> None:
    names = [f"Table {n}" for n in range(1, 8)]
    venue = await setup_venue(client, "v1", *names)
    answer = await client.get("/venues/v1/qr-sheet.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    pdf = answer.content
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 2  # six cards a page
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595\.28\s+841\.89\s*\]", pdf), "not A4"
    text = pdf_text(pdf)
    lines = text.splitlines()
    for spot in venue["spots"]:
        assert spot["name"] in lines
        assert spot["guest_url"] in lines
    assert lines.count("Scannez pour commander") == len(names)
    assert lines.count("Scan to order") == len(names)
    assert "Table 8" not in lines

    empty = await client.post("/venues/v3/profit-centres", json={"name": "Bar", "mode": "menu"})
    assert empty.status_code == 201
    before = await event_count()
    for missing_venue in ("nobody", "v3"):
        missing = await client.get(f"/venues/{missing_venue}/qr-sheet.pdf")
        assert missing.status_code == 404, missing.text
        assert missing.json()["field"] == "venue_id"
    assert await event_count() == before
