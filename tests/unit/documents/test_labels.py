"""Our own label as PDF: scripts print and extract, barcodes decode, sizes are true, bad input is refused.

One batch render per size (module fixtures), so the file runs in a few seconds.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from kiriman.documents import barcodes
from kiriman.documents.labels import DOT_MM, cod_text, label_box_mm, module_dots, render_labels
from kiriman.documents.pdf import PageSize, page_count, split_pages
from kiriman.domain.errors import InvalidInput
from tests.unit.documents._label_samples import CHINESE, THAI, VIETNAMESE, batch, label

zxingcpp = pytest.importorskip("zxingcpp")
pytestmark = pytest.mark.skipif(shutil.which("wkhtmltopdf") is None, reason="wkhtmltopdf not installed")

DPI = 300
DOCS = [
    label(THAI, "THKRM0000000001", cod_amount=Decimal("1234.5"), currency="THB", sort_code="BKK-12"),
    label(CHINESE, "123456789012"),  # all digits: Code 128 subset C
    label(VIETNAMESE, "SPXVN0123456789012", cod_amount=Decimal(250000), currency="VND", sort_code="HCM-Q1"),
    label("Tan Ah Kow", "NVSGKRM00001234-5", reference="KRM-ref/1"),
]


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    # NFKC: Noto Sans CJK's ToUnicode maps some ideographs to their Kangxi-radical twins (小 -> U+2F29).
    return unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))


def raster(pdf: bytes, tmp: Path, dpi: int = DPI) -> Image.Image:
    (tmp / "page.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp / "page.pdf"), str(tmp / "page")], check=True
    )
    return Image.open(io.BytesIO((tmp / "page.png").read_bytes())).convert("L")


@pytest.fixture(scope="module")
def label_pdf() -> bytes:
    return render_labels(DOCS, PageSize.LABEL_4X6)


def test_one_sheet_per_label_at_100x150(label_pdf: bytes) -> None:
    assert page_count(label_pdf) == len(DOCS)
    info = subprocess.run(["pdfinfo", "-"], input=label_pdf, capture_output=True, check=True).stdout.decode()
    assert "283 x 425 pts" in info  # 100 x 150 mm


def test_names_in_every_script_extract_back(label_pdf: bytes) -> None:
    pages = [pdf_text(page) for page in split_pages(label_pdf)]
    assert THAI in pages[0]
    assert CHINESE in pages[1]
    assert VIETNAMESE in pages[2]
    assert "Tan Ah Kow" in pages[3]
    assert "COD THB 1,234.50" in pages[0]
    assert "COD VND 250,000" in pages[2] and "250,000.00" not in pages[2]
    assert "NO COD" in pages[1]
    assert "BKK-12" in pages[0] and "HCM-Q1" in pages[2]
    assert "ORDER 240501ABCD1234" in pages[0] and "PACKAGE OFG123456789" in pages[0]


def test_barcodes_decode_to_tracking_number_and_payload(label_pdf: bytes, tmp_path: Path) -> None:
    for doc, page in zip(DOCS, split_pages(label_pdf), strict=True):
        found = {r.format.name: r.text for r in zxingcpp.read_barcodes(raster(page, tmp_path))}
        assert found.get("Code128") == doc.tracking_number
        assert json.loads(found["QRCode"]) == {"tn": doc.tracking_number, "ref": doc.reference}


def test_printed_sizes_are_true_millimetres(label_pdf: bytes, tmp_path: Path) -> None:
    """The Code 128 spans exactly its modules x whole printer dots; catches a wkhtmltopdf print-zoom change."""
    doc = DOCS[0]
    page = split_pages(label_pdf)[0]
    image = raster(page, tmp_path)
    result = next(r for r in zxingcpp.read_barcodes(image) if r.format.name == "Code128")
    pos = result.position
    measured_mm = (pos.top_right.x - pos.top_left.x) / DPI * 25.4
    modules = barcodes.code128_width_modules(doc.tracking_number) - 2 * barcodes.QUIET_ZONE_MODULES
    expected_mm = modules * module_dots(doc.tracking_number, label_box_mm(PageSize.LABEL_4X6)[0]) * DOT_MM
    assert measured_mm == pytest.approx(expected_mm, rel=0.03)


def test_a6_and_a4_four_up(tmp_path: Path) -> None:
    docs = batch(5)
    a6 = render_labels(docs, PageSize.A6)
    assert page_count(a6) == 5
    a4 = render_labels(docs, PageSize.A4)
    assert page_count(a4) == 2  # 4 + 1
    sheets = split_pages(a4)
    first = pdf_text(sheets[0])
    assert all(doc.recipient.name in first for doc in docs[:4])
    assert docs[4].recipient.name in pdf_text(sheets[1])
    codes = {r.text for r in zxingcpp.read_barcodes(raster(sheets[0], tmp_path)) if r.format.name == "Code128"}
    assert codes == {doc.tracking_number for doc in docs[:4]}


def test_bad_input_names_the_field() -> None:
    cases = [
        ({"tracking_number": "TH–123"}, "tracking_number"),  # en dash: not Code 128 ASCII
        ({"tracking_number": ""}, "tracking_number"),
        ({"cod_amount": Decimal(-1), "currency": "THB"}, "cod_amount"),
        ({"cod_amount": Decimal(10), "currency": ""}, "currency"),
        ({"weight_g": -5}, "weight_g"),
    ]
    for overrides, field in cases:
        fields = {"tracking_number": "TH0000000001A", **overrides}
        tn = str(fields.pop("tracking_number"))
        with pytest.raises(InvalidInput) as caught:
            label("Tan Ah Kow", tn, **fields)
        assert caught.value.details[0].field == field
    with pytest.raises(InvalidInput, match=r"recipient\.name"):
        label(" ", "TH0000000001A")
    with pytest.raises(InvalidInput, match="labels"):
        render_labels([], PageSize.A6)


def test_cod_text_minor_units() -> None:
    assert cod_text(label("Tan Ah Kow", "X1", cod_amount=Decimal("1234.5"), currency="THB")) == "COD THB 1,234.50"
    assert cod_text(label("Tan Ah Kow", "X1", cod_amount=Decimal(250000), currency="VND")) == "COD VND 250,000"
    assert cod_text(label("Tan Ah Kow", "X1")) == ""
