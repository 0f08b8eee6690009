"""QR codes for the posters at the gate: SVG for any size, PNG for printing on A4."""

from __future__ import annotations

import io
import math

import segno

# The QR code is printed about 16 cm wide on an A4 poster; at 300 dpi that is 1890 pixels.
PRINT_DPI = 300
PRINT_WIDTH_CM = 16
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def make_qr(url: str) -> segno.QRCode:
    """A QR code for the URL, with error correction M (survives smudges and folds)."""
    return segno.make_qr(url, error="m", boost_error=True)


def qr_svg(url: str, title: str) -> bytes:
    """The QR code as a standalone SVG image."""
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="svg", scale=10, border=QUIET_ZONE, title=title,
                      xmldecl=True, svgclass=None, lineclass=None)
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    """The QR code as a PNG of at least 300 dpi at poster size."""
    qr = make_qr(url)
    modules, _ = qr.symbol_size(scale=1, border=QUIET_ZONE)
    target_pixels = PRINT_WIDTH_CM / 2.54 * PRINT_DPI
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=math.ceil(target_pixels / modules), border=QUIET_ZONE,
            dpi=PRINT_DPI)
    return buffer.getvalue()


def qr_data_uri(url: str) -> str:
    """The QR code as a PNG data URI (sharp enough to print about 4 cm wide), to show in a page
    without a request of its own."""
    return make_qr(url).png_data_uri(scale=6, border=QUIET_ZONE)

