"""HTML to PDF with wkhtmltopdf: many pages, one process, nothing fetched.

``html_to_pdf(pages, size)`` takes body FRAGMENTS (the output of ``templates.render``), wraps each in a
``<div class="page">`` that starts a new sheet, puts them all in ONE HTML document (``templates/base.html``)
and prints it with ONE wkhtmltopdf process. One document rather than one input file per page because the
Debian build of wkhtmltopdf 0.12.6 runs on unpatched Qt, which cannot print more than one input document
into a PDF ("Reduced Functionality" list in ``wkhtmltopdf --help``: "Printing more than one HTML document
into a PDF file" needs patched Qt). A fragment may run over several sheets (a long pick list); a label
fragment sizes itself to one sheet. Fragments may carry their own ``<style>``; shared CSS goes in ``css``.

Safety (issue #9 item 2) — the options below are always on and cannot be turned off by callers:

- ``--disable-javascript``: no script runs, whatever slipped into a template.
- ``--disable-local-file-access``: the input file may not read any other local file (``file:///etc/passwd``
  in an iframe or img stays empty).
- ``--proxy http://127.0.0.1:9``: every http(s)/ftp request goes to a proxy on the discard port, where nothing
  listens, so it fails. Port 9 rather than a "free" port found by binding and closing a socket: below 1024
  an unprivileged process cannot start listening on it later, so it stays closed (a port found free can be
  taken by anyone a moment afterwards). ``--bypass-proxy-for`` is never passed, so 127.0.0.1 goes through the
  proxy too (tests/unit/documents/test_pdf_safety.py runs a listener on 127.0.0.1 and checks it sees nothing).
- ``data:`` URIs are not network requests, so inline images (our SVG barcodes) still print.
- ``--load-error-handling ignore`` / ``--load-media-error-handling ignore``: a blocked resource leaves a hole;
  it never fails the whole batch.
- Input is a file in a private temporary directory (mode 0700) that is removed afterwards; HOME and
  XDG_RUNTIME_DIR point there too (Lambda's file system is read-only outside /tmp); proxy variables from the
  environment are dropped. The process gets a timeout and is killed when it runs over.

Page size: ``--page-width/--page-height`` in mm with zero margins (templates pad themselves); this works on
unpatched Qt. ``--disable-smart-shrinking`` does not, and WebKit prints every CSS length at 1/1.3 of its size
(measured, independent of --dpi and --zoom), so ``base.html`` zooms the body by ``PRINT_ZOOM`` = 1.3: a
``100mm`` box in our CSS is 100 mm on paper. Content wider than the sheet is still shrunk to fit.

pdfkit (the library named in the issue) builds the command line; we run it with ``subprocess.run`` ourselves
because ``pdfkit.PDFKit.to_pdf`` has no timeout and, for string input, reads extra wkhtmltopdf options out of
``<meta name="pdfkit-...">`` tags in the HTML - we give it a file, never a string.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pdfkit
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from kiriman.documents import DocumentError
from kiriman.documents.templates import render

WKHTMLTOPDF = os.environ.get("WKHTMLTOPDF_PATH") or shutil.which("wkhtmltopdf") or "/usr/bin/wkhtmltopdf"
CLOSED_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, unprivileged processes cannot bind it
DEFAULT_TIMEOUT_S = 60.0
# WebKit's print shrink factor on unpatched Qt (see templates/base.html); override for a patched build.
PRINT_ZOOM = float(os.environ.get("KIRIMAN_PDF_ZOOM", "1.3"))


class PageSize(StrEnum):
    """Sheet sizes. ``LABEL_4X6`` is the 100 x 150 mm thermal label (4 x 6 in is 101.6 x 152.4 mm; carriers
    and printers in SEA use 100 x 150 mm stock under that name)."""

    LABEL_4X6 = "label_4x6"
    A6 = "a6"
    A4 = "a4"

    @property
    def width_mm(self) -> int:
        return _SIZES_MM[self][0]

    @property
    def height_mm(self) -> int:
        return _SIZES_MM[self][1]


_SIZES_MM: dict[PageSize, tuple[int, int]] = {
    PageSize.LABEL_4X6: (100, 150),
    PageSize.A6: (105, 148),
    PageSize.A4: (210, 297),
}


@dataclass(frozen=True)
class RenderStats:
    """What the last ``html_to_pdf`` call cost (the bench reads it)."""

    pages: int
    html_bytes: int
    pdf_bytes: int
    seconds: float


_last_stats: RenderStats | None = None


def last_stats() -> RenderStats | None:
    return _last_stats


def safe_options(size: PageSize) -> dict[str, str | None]:
    """The wkhtmltopdf options of every run (see the module docstring for why each one)."""
    return {
        "quiet": None,
        "encoding": "utf-8",
        "disable-javascript": None,
        "disable-local-file-access": None,
        "proxy": CLOSED_PROXY,
        "load-error-handling": "ignore",
        "load-media-error-handling": "ignore",
        "disable-plugins": None,
        "page-width": f"{size.width_mm}mm",
        "page-height": f"{size.height_mm}mm",
        "margin-top": "0",
        "margin-bottom": "0",
        "margin-left": "0",
        "margin-right": "0",
    }


def document_html(pages: Sequence[str], size: PageSize, *, css: Sequence[str] = (), title: str = "") -> str:
    """The single HTML document ``html_to_pdf`` prints (exposed for tests and debugging)."""
    blocks = list(dict.fromkeys(css))  # the same stylesheet once, order kept
    return render(
        "base.html",
        pages=[Markup(page) for page in pages],  # noqa: S704 - fragments are autoescaped render() output
        css=[Markup(block) for block in blocks],  # noqa: S704 - our own stylesheets
        width_mm=size.width_mm,
        height_mm=size.height_mm,
        title=title,
        zoom=f"{PRINT_ZOOM:g}",
    )


def html_to_pdf(
    pages: Sequence[str],
    size: PageSize,
    *,
    css: Sequence[str] = (),
    title: str = "",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> bytes:
    """Print ``pages`` (HTML body fragments, already escaped: ``templates.render`` output) into one PDF.

    One wkhtmltopdf process for all pages; each fragment starts a new sheet of ``size``. ``css`` blocks are
    added to the document's ``<style>`` once each. Raises ``DocumentError`` on an empty list, a failed or
    timed-out run, or output that is not a PDF.
    """
    global _last_stats
    if not pages:
        raise DocumentError("nothing to render: no pages")
    html = document_html(pages, size, css=css, title=title)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kiriman-pdf-") as tmp:  # created 0700
        work = Path(tmp)
        source = work / "document.html"
        target = work / "document.pdf"
        source.write_text(html, encoding="utf-8")
        config = pdfkit.configuration(wkhtmltopdf=WKHTMLTOPDF)
        command = pdfkit.PDFKit(str(source), "file", options=safe_options(size), configuration=config).command(
            str(target)
        )
        try:
            done = subprocess.run(  # noqa: S603 - fixed binary, options built above, input is our temp file
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s,
                env=_child_env(work),
                cwd=work,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(f"wkhtmltopdf timed out after {timeout_s:g} s ({len(pages)} pages)") from exc
        except OSError as exc:
            raise DocumentError(f"wkhtmltopdf could not start: {exc}") from exc
        # With --load-error-handling ignore, wkhtmltopdf exits 1 when a (blocked) resource failed but the PDF
        # was written; any other non-zero code, or no PDF, is a failure.
        pdf = target.read_bytes() if target.exists() else b""
        if done.returncode not in (0, 1) or not pdf.startswith(b"%PDF"):
            detail = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise DocumentError(f"wkhtmltopdf failed (exit {done.returncode}): {detail or 'no output'}")
    _last_stats = RenderStats(
        pages=len(pages),
        html_bytes=len(html.encode("utf-8")),
        pdf_bytes=len(pdf),
        seconds=time.perf_counter() - started,
    )
    return pdf


def _child_env(work: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    env["HOME"] = str(work)
    env["XDG_RUNTIME_DIR"] = str(work)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def page_count(pdf: bytes) -> int:
    return len(_reader(pdf).pages)


def split_pages(pdf: bytes) -> list[bytes]:
    """One PDF per page, in order (a batch of labels back into one file per label)."""
    reader = _reader(pdf)
    out: list[bytes] = []
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        out.append(_write(writer))
    return out


def merge(pdfs: Iterable[bytes]) -> bytes:
    """Join PDFs in the order given (our labels and carrier-supplied ones alike) into one file."""
    writer = PdfWriter()
    count = 0
    for pdf in pdfs:
        writer.append(_reader(pdf))
        count += 1
    if count == 0:
        raise DocumentError("nothing to merge: no PDFs")
    return _write(writer)


def _reader(pdf: bytes) -> PdfReader:
    if not pdf.startswith(b"%PDF"):
        raise DocumentError("not a PDF")
    try:
        return PdfReader(io.BytesIO(pdf))
    except Exception as exc:  # pypdf raises several types for damaged files
        raise DocumentError(f"unreadable PDF: {exc}") from exc


def _write(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
