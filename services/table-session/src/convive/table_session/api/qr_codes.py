"""The QR codes the staff endpoints answer, each encoding a spot's guest URL: one spot's code as
a PNG or SVG image, and a venue's codes as one printable A4 PDF (per spot a card with its name,
its QR code drawn as vector squares, sharp at any printer resolution, and a short French/English
instruction; six cards a page, with light cut lines)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from fpdf import FPDF

ERROR_CORRECTION = "m"
"""Medium: a code about 15 % damaged or covered still reads."""
QUIET_ZONE = 4  # modules, as the QR standard asks
IMAGE_SCALE = 10  # pixels (or SVG units) a module

# The printable sheet
PAGE_MARGIN = 12.0  # mm
COLUMNS, ROWS = 2, 3
CARDS_PER_PAGE = COLUMNS * ROWS
QR_SIZE = 52.0  # mm, quiet zone included
INSTRUCTION_FR = "Scannez pour commander"
INSTRUCTION_EN = "Scan to order"


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_CORRECTION)


def png(url: str) -> bytes:
    """The QR code of `url` as a PNG image."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=IMAGE_SCALE, border=QUIET_ZONE)
    return out.getvalue()


def svg(url: str, title: str) -> bytes:
    """The QR code of `url` as an SVG image titled `title` (the spot's name)."""
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=IMAGE_SCALE, border=QUIET_ZONE, title=title)
    return out.getvalue()


@dataclass(frozen=True)
class Card:
    name: str
    url: str


def _printable(text: str) -> str:
    """The PDF core fonts only know Latin-1: anything else prints as '?' rather than failing."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    matrix = _code(url).matrix
    count = len(matrix) + 2 * QUIET_ZONE
    module = size / count
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        top = y + (QUIET_ZONE + row_index) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            # One rectangle per run of dark modules, a hair taller so rows do not show seams.
            pdf.rect(
                x + (QUIET_ZONE + start) * module,
                top,
                (column - start) * module,
                module * 1.02,
                style="F",
            )


def sheet(venue_name: str, cards: Sequence[Card]) -> bytes:
    """The sheet for these cards (at least one), in the order given."""
    if not cards:
        raise ValueError("a QR sheet needs at least one spot")
    # Imported here: fpdf brings fontTools, a fifth of the service's start-up time, and only
    # the printable sheet needs it.
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(_printable(f"QR codes - {venue_name}"))
    pdf.set_creator("Convive")
    card_w = (pdf.w - 2 * PAGE_MARGIN) / COLUMNS
    card_h = (pdf.h - 2 * PAGE_MARGIN) / ROWS
    for index, card in enumerate(cards):
        if index % CARDS_PER_PAGE == 0:
            pdf.add_page()
        slot = index % CARDS_PER_PAGE
        x = PAGE_MARGIN + (slot % COLUMNS) * card_w
        y = PAGE_MARGIN + (slot // COLUMNS) * card_h
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.2)
        pdf.rect(x, y, card_w, card_h)

        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", style="B", size=18)
        pdf.set_xy(x, y + 6)
        pdf.cell(card_w, 9, _printable(card.name), align="C")
        _draw_qr(pdf, card.url, x + (card_w - QR_SIZE) / 2, y + 17, QR_SIZE)
        pdf.set_font("Helvetica", size=12)
        pdf.set_xy(x, y + 17 + QR_SIZE + 2)
        pdf.cell(card_w, 6, INSTRUCTION_FR, align="C")
        pdf.set_font("Helvetica", style="I", size=11)
        pdf.set_xy(x, y + 17 + QR_SIZE + 8)
        pdf.cell(card_w, 6, INSTRUCTION_EN, align="C")
        pdf.set_font("Helvetica", size=6)
        pdf.set_text_color(110, 110, 110)
        pdf.set_xy(x, y + card_h - 7)
        pdf.cell(card_w, 4, _printable(card.url), align="C")
    return bytes(pdf.output())
