"""The same label as ``labels.py`` in ZPL II, for thermal printers at 203 dpi on 4 x 6 in stock.

One ``^XA ... ^XZ`` block per label, 812 x 1218 dots (carriers.md 8.1: 4x6 at 203 dpi). Commands used, as
documented in Zebra's "ZPL II Programming Guide" (P1012728): ``^PW``/``^LL`` print width and label length,
``^LH`` home, ``^FO`` field origin, ``^A0`` the scalable built-in font, ``^FB`` field block (wrapping),
``^FH`` field hex escapes (``_5E`` for ``^``, so data can never end a field or start a command), ``^BY``
module width / ratio / bar height, ``^BC`` Code 128 (subsets chosen by the printer in automatic mode ``A``),
``^BQ`` QR (model 2, magnification, ``MA,`` = error correction M, automatic input), ``^GB`` boxes,
``^FR`` field reverse, ``^GFA`` graphic field in ASCII hex.

Text: the printer's built-in font covers ASCII only reliably (Vietnamese diacritics, Thai and Chinese are
outside it unless a font is downloaded to the printer), so every field that is not pure ASCII is drawn with
Pillow (libraqm shaping for Thai marks) in a font found through fontconfig and sent as a ``^GFA`` bitmap.
Fonts are picked per script run: Thai -> ``fc-match sans-serif:lang=th`` (TLWG/Noto), Han/Kana/Hangul ->
``sans-serif:lang=zh-cn`` (Noto Sans CJK), anything else -> ``sans-serif:lang=vi`` (DejaVu/Noto). No font
found raises ``DocumentError`` naming the script.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from kiriman.documents import DocumentError, barcodes
from kiriman.documents.labels import LabelDocument, cod_text

DPI = 203
WIDTH = 812  # 4 in at 203 dpi
HEIGHT = 1218  # 6 in
MARGIN = 24
INNER = WIDTH - 2 * MARGIN

_FONT_QUERIES = {
    "thai": "sans-serif:lang=th",
    "cjk": "sans-serif:lang=zh-cn",
    "latin": "sans-serif:lang=vi",
}


@dataclass(frozen=True)
class GraphicField:
    """A ``^GFA`` bitmap: ``rows`` of ``bytes_per_row`` bytes, bit 1 = black dot, MSB first."""

    width: int
    height: int
    bytes_per_row: int
    data: bytes

    @property
    def total_bytes(self) -> int:
        return self.bytes_per_row * self.height

    def command(self) -> str:
        return f"^GFA,{self.total_bytes},{self.total_bytes},{self.bytes_per_row},{self.data.hex().upper()}"


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if (
        0x2E80 <= code <= 0x9FFF  # CJK radicals, kana, CJK unified
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF
    ):
        return "cjk"
    return "latin"


def _runs(text: str) -> list[tuple[str, str]]:
    """Split into (script, text) runs; spaces and punctuation stay with the run they are in."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = _script(ch)
        if runs and (script == runs[-1][0] or (script == "latin" and not ch.isalnum())):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


@cache
def _font_file(script: str, bold: bool) -> tuple[str, int]:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise DocumentError("fc-match (fontconfig) is not installed: cannot find fonts for ZPL text")
    query = _FONT_QUERIES[script] + (":weight=bold" if bold else "")
    found = subprocess.run(  # noqa: S603 - fixed program and query
        [fc_match, "--format=%{file}\n%{index}\n%{lang}", query],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    parts = found.stdout.split("\n")
    if found.returncode != 0 or len(parts) < 3 or not parts[0]:
        raise DocumentError(f"no font for {script} text (fc-match {query!r} found nothing)")
    langs = parts[2].split("|")
    wanted = {"thai": "th", "cjk": "zh-cn", "latin": "vi"}[script]
    if wanted not in langs:
        raise DocumentError(f"no font covering {script} text installed (fc-match {query!r} gave {parts[0]})")
    return parts[0], int(parts[1] or 0)


@cache
def _font(script: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    path, index = _font_file(script, bold)
    return ImageFont.truetype(path, size=size, index=index, layout_engine=ImageFont.Layout.RAQM)


def _measure(text: str, size: int, bold: bool) -> int:
    return int(sum(_font(script, size, bold).getlength(run) for script, run in _runs(text)))


def _wrap(text: str, size: int, bold: bool, width: int, max_lines: int) -> list[str]:
    """Greedy wrap at spaces, or anywhere for text without spaces (Thai, Chinese); the last line is cut."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        candidate = current + token
        if current and _measure(candidate.rstrip(), size, bold) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
            if len(lines) == max_lines:
                return lines
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines[:max_lines]


def _tokens(text: str) -> Iterable[str]:
    word = ""
    for ch in text:
        word += ch
        if ch == " " or _script(ch) != "latin":  # break after a space, or between any two Thai/CJK chars
            yield word
            word = ""
    if word:
        yield word


def rasterise(text: str, size: int, *, bold: bool = False, width: int = INNER, max_lines: int = 1) -> GraphicField:
    """Draw ``text`` (wrapped to ``width`` dots, at most ``max_lines``) as a 1-bit graphic field."""
    lines = _wrap(text, size, bold, width, max_lines) or [text]
    line_height = int(size * 1.35)
    img_width = max(8, min(width, max(_measure(line, size, bold) for line in lines) + 2))
    image = Image.new("L", (img_width, line_height * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        x = 0.0
        for script, run in _runs(line):
            font = _font(script, size, bold)
            draw.text((x, row * line_height + size * 0.1), run, font=font, fill=0)
            x += font.getlength(run)
    return _to_graphic(image)


def _to_graphic(image: Image.Image) -> GraphicField:
    bitmap = image.point(lambda value: 255 if value < 128 else 0, mode="1")  # dark pixel -> bit 1
    bytes_per_row = math.ceil(bitmap.width / 8)
    # Mode "1" tobytes packs 8 pixels per byte, MSB first, rows padded to a byte: ZPL's ^GF layout exactly.
    return GraphicField(bitmap.width, bitmap.height, bytes_per_row, bitmap.tobytes())


def graphic_to_image(total_bytes: int, bytes_per_row: int, hex_data: str) -> Image.Image:
    """Decode a ``^GFA`` field back to an image (black = 0) - for tests and previews."""
    data = bytes.fromhex(hex_data)
    if len(data) != total_bytes or total_bytes % bytes_per_row:
        raise DocumentError("graphic field byte count does not match its size")
    height = total_bytes // bytes_per_row
    bitmap = Image.frombytes("1", (bytes_per_row * 8, height), data)
    return bitmap.point(lambda value: 0 if value else 255, mode="L")


def _fh(value: str) -> str:
    """ASCII field data under ``^FH``: escape the hex indicator and the two command prefixes."""
    return value.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


class _Zpl:
    def __init__(self) -> None:
        self.out: list[str] = []

    def text(
        self,
        x: int,
        y: int,
        value: str,
        size: int,
        *,
        bold: bool = False,
        width: int = INNER,
        lines: int = 1,
        reverse: bool = False,
        centre: bool = False,
    ) -> None:
        if not value:
            return
        if value.isascii():
            height = int(size * (1.15 if bold else 1.0))
            align = "C" if centre else "L"
            self.out.append(
                f"^FO{x},{y}^A0N,{height},{size}^FB{width},{lines},0,{align},0"
                f"{'^FR' if reverse else ''}^FH^FD{_fh(value)}^FS"
            )
            return
        field = rasterise(value, size, bold=bold, width=width, max_lines=lines)
        left = x + (width - field.width) // 2 if centre else x
        self.out.append(f"^FO{left},{y}{'^FR' if reverse else ''}{field.command()}^FS")

    def box(self, x: int, y: int, w: int, h: int, thickness: int) -> None:
        self.out.append(f"^FO{x},{y}^GB{w},{h},{thickness}^FS")

    def raw(self, command: str) -> None:
        self.out.append(command)


def label_zpl(doc: LabelDocument) -> str:
    """One label, ``^XA`` to ``^XZ``, 812 x 1218 dots."""
    z = _Zpl()
    z.raw(f"^XA^CI28^PW{WIDTH}^LL{HEIGHT}^LH0,0")
    # Header: carrier and service; the sort code in a black box on the right.
    head_w = INNER - (260 if doc.sort_code else 0)
    z.text(MARGIN, 20, doc.carrier, 44, bold=True, width=head_w)
    z.text(MARGIN, 72, doc.service, 26, width=head_w)
    if doc.sort_code:
        z.box(WIDTH - MARGIN - 250, 16, 250, 86, 86)
        z.text(WIDTH - MARGIN - 250, 34, doc.sort_code, 52, bold=True, width=250, reverse=True, centre=True)
    z.box(MARGIN, 110, INNER, 3, 3)
    # Code 128: the widest whole-dot module that fits, centred; the number under it in our font.
    modules = barcodes.code128_width_modules(doc.tracking_number) - 2 * barcodes.QUIET_ZONE_MODULES
    module = next((m for m in (4, 3, 2) if (modules + 2 * barcodes.QUIET_ZONE_MODULES) * m <= INNER), 2)
    bar_x = max(MARGIN, (WIDTH - modules * module) // 2)
    z.raw(f"^FO{bar_x},130^BY{module},3,160^BCN,160,N,N,N,A^FH^FD{_fh(doc.tracking_number)}^FS")
    z.text(MARGIN, 300, doc.tracking_number, 40, bold=True, centre=True)
    z.box(MARGIN, 350, INNER, 3, 3)
    # Recipient.
    r = doc.recipient
    z.text(MARGIN, 362, "TO", 22, bold=True)
    z.text(MARGIN, 390, r.name, 44, bold=True, lines=2)  # two lines of 44 dots (x1.35 leading) end by 510
    y = 512
    if r.phone:
        z.text(MARGIN, y, r.phone, 30)
        y += 40
    for line in r.lines[:3]:
        z.text(MARGIN, y, line, 30, lines=1)
        y += 40
    z.text(MARGIN, y, " ".join(p for p in (r.locality(), r.country) if p), 30, bold=True)
    z.box(MARGIN, 720, INNER, 3, 3)
    # Sender.
    s = doc.sender
    z.text(MARGIN, 732, "FROM", 20, bold=True)
    z.text(MARGIN + 70, 730, " ".join(p for p in (s.name, s.phone) if p), 24, bold=True, width=INNER - 70)
    z.text(MARGIN, 762, ", ".join([*s.lines, *(p for p in (s.locality(), s.country) if p)]), 22, lines=2)
    z.box(MARGIN, 820, INNER, 3, 3)
    # COD.
    if doc.has_cod:
        z.box(MARGIN, 832, INNER, 80, 80)
        z.text(MARGIN, 846, cod_text(doc), 56, bold=True, reverse=True, centre=True)
    else:
        z.text(MARGIN, 850, "NO COD", 40, bold=True, centre=True)
    z.box(MARGIN, 924, INNER, 3, 3)
    # QR (model 2, magnification 6, error correction M) and references.
    z.raw(f"^FO{MARGIN},940^BQN,2,6^FH^FDMA,{_fh(doc.qr_payload())}^FS")
    refs = [
        ("ORDER", doc.order_sn),
        ("PACKAGE", doc.package_number),
        ("REF", doc.reference),
        ("WEIGHT", f"{doc.weight_g / 1000:.3f} kg" if doc.weight_g is not None else ""),
        ("ITEMS", str(doc.items_count) if doc.items_count is not None else ""),
        ("PRINTED", doc.printed_at.strftime("%Y-%m-%d %H:%M %z") if doc.printed_at else ""),
    ]
    y = 950
    for tag, value in refs:
        if value:
            z.text(300, y, f"{tag} {value}", 26, width=WIDTH - MARGIN - 300)
            y += 36
    z.raw("^XZ")
    return "\n".join(z.out) + "\n"


def labels_zpl(docs: Sequence[LabelDocument]) -> str:
    """Many labels as one ZPL stream, in the order given."""
    return "".join(label_zpl(doc) for doc in docs)
