"""ZPL of our label: structure, escaping, and ^GF bitmaps exactly for the non-ASCII fields."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kiriman.documents.labels import Party
from kiriman.documents.zpl import HEIGHT, WIDTH, graphic_to_image, label_zpl, labels_zpl, rasterise
from tests.unit.documents._label_samples import CHINESE, SENDER, THAI, VIETNAMESE, label

GF = re.compile(r"\^GFA,(\d+),(\d+),(\d+),([0-9A-F]*)\^FS")
ASCII_SENDER = SENDER


def fields_with_graphics(zpl: str) -> list[tuple[int, int, int, str]]:
    return [(int(a), int(b), int(c), d) for a, b, c, d in GF.findall(zpl)]


def test_structure_and_barcodes() -> None:
    doc = label("Tan Ah Kow", "NVSGKRM0000123", cod_amount=Decimal("12.5"), currency="SGD", sort_code="SG-07")
    zpl = label_zpl(doc)
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert f"^PW{WIDTH}" in zpl and f"^LL{HEIGHT}" in zpl
    assert re.search(r"\^BY[234],3,160\^BCN,160,N,N,N,A\^FH\^FDNVSGKRM0000123\^FS", zpl)
    qr = re.search(r"\^BQN,2,6\^FH\^FDMA,(.*?)\^FS", zpl)
    assert qr and qr.group(1) == doc.qr_payload()
    assert "^FDCOD SGD 12.50^FS" in zpl and "^FDSG-07^FS" in zpl
    assert "^GF" not in zpl  # all ASCII: no bitmaps
    stream = labels_zpl([doc, doc, doc])
    assert stream.count("^XA") == 3 and stream.count("^XZ") == 3


def test_field_data_cannot_break_out() -> None:
    doc = label("Evil ^XZ~JA_name", "AB^XZ~1_2", reference="^FS^XA")
    zpl = label_zpl(doc)
    assert zpl.count("^XZ") == 1 and zpl.count("^XA") == 1
    assert "~JA" not in zpl
    assert "^FDAB_5EXZ_7E1_5F2^FS" in zpl
    assert "Evil _5EXZ_7EJA_5Fname" in zpl


@pytest.mark.parametrize(
    ("name", "lines", "expected_graphics"),
    [
        (THAI, ("99/12 ถนนสุขุมวิท", "Soi 5"), 2),  # name + first line
        (CHINESE, ("Xinyi Rd 7",), 1),
        (VIETNAMESE, ("12 Lê Lợi", "Quận 1"), 3),  # Vietnamese diacritics are outside the printer font
    ],
)
def test_graphics_exactly_for_non_ascii_fields(name: str, lines: tuple[str, ...], expected_graphics: int) -> None:
    recipient = Party(name, "+66 81 234 5678", lines, "Bangkok", "", "10110", "TH")
    zpl = label_zpl(label(name, "TH0000000001A", recipient=recipient, sender=ASCII_SENDER))
    graphics = fields_with_graphics(zpl)
    assert len(graphics) == expected_graphics
    for total, total_again, per_row, data in graphics:
        assert total == total_again
        assert len(data) == 2 * total
        assert total % per_row == 0
        height = total // per_row
        assert 20 < height < 200 and per_row * 8 <= WIDTH
        image = graphic_to_image(total, per_row, data)
        assert image.size == (per_row * 8, height)
        dark = image.histogram()[0] / (image.width * image.height)
        assert 0.02 < dark < 0.6  # ink, but not a black box
    assert name not in zpl  # the name went as a bitmap, not as text the printer cannot draw


def test_rasterised_text_keeps_marks_and_wraps() -> None:
    plain = rasterise("สมชาย", 40)
    marked = rasterise("สมชาย ใจดี", 40)
    assert marked.width > plain.width
    wide = rasterise("王小明" * 30, 40, width=400, max_lines=2)
    assert wide.width <= 400
    assert wide.height == 2 * int(40 * 1.35)
    one = rasterise("王小明" * 30, 40, width=400, max_lines=1)
    assert one.height == int(40 * 1.35)
    assert len(one.data) == one.total_bytes == one.bytes_per_row * one.height
