"""Issue #9 item 2: autoescaping, and wkhtmltopdf can neither read local files nor fetch anything.

A listener thread on 127.0.0.1 records every connection. The control test prints the same HTML with a bare
wkhtmltopdf (no safety options) and must see a request, so a silent listener elsewhere means the options
worked, not that the harness is deaf.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiriman.documents import DocumentError
from kiriman.documents.labels import render_labels
from kiriman.documents.pdf import PageSize, html_to_pdf, merge, page_count, safe_options, split_pages
from kiriman.documents.templates import render
from tests.unit.documents._label_samples import IFRAME, SCRIPT, label

pytestmark = pytest.mark.skipif(shutil.which("wkhtmltopdf") is None, reason="wkhtmltopdf not installed")

PASSWD_MARK = "root:x:"


class Listener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.requests.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.requests.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))


def hostile_html(port: int) -> str:
    return (
        f'<img src="http://127.0.0.1:{port}/img.png">'
        f'<img src="http://localhost:{port}/img2.png">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
        f'<iframe src="http://127.0.0.1:{port}/frame"></iframe>'
        '<iframe src="file:///etc/passwd" width="600" height="400"></iframe>'
        '<object data="file:///etc/passwd" type="text/plain" width="600" height="400"></object>'
        '<script>document.write("JS" + "RAN")</script>'
        "<p>hostile page printed</p>"
    )


def test_control_bare_wkhtmltopdf_does_fetch(listener: Listener, tmp_path: Path) -> None:
    source = tmp_path / "page.html"
    source.write_text(f"<html><body>{hostile_html(listener.port)}</body></html>", encoding="utf-8")
    subprocess.run(
        ["wkhtmltopdf", "--quiet", str(source), str(tmp_path / "out.pdf")],
        capture_output=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)},
    )
    assert listener.requests, "the listener saw nothing even without the safety options: the test proves nothing"


def test_raw_html_fetches_nothing_and_reads_no_file(listener: Listener) -> None:
    # html_to_pdf is given raw HTML here (escaping bypassed): only wkhtmltopdf's options stand in the way.
    pdf = html_to_pdf([hostile_html(listener.port)], PageSize.A4)
    text = pdf_text(pdf)
    assert "hostile page printed" in text
    assert PASSWD_MARK not in text
    assert "JSRAN" not in text
    assert listener.requests == []


def test_label_fields_print_literally(listener: Listener) -> None:
    img = f'<img src="http://127.0.0.1:{listener.port}/x.png">'
    docs = [
        label(IFRAME, "TH0000000001A"),
        label(SCRIPT, "TH0000000002A", sort_code=SCRIPT[:8]),
        label(img, "TH0000000003A", reference=IFRAME),
    ]
    pdf = render_labels(docs, PageSize.LABEL_4X6)
    pages = [" ".join(pdf_text(page).split()) for page in split_pages(pdf)]  # long names wrap
    assert IFRAME in pages[0]
    assert SCRIPT in pages[1]
    assert img in pages[2]
    assert all(PASSWD_MARK not in page for page in pages)
    assert listener.requests == []


def test_templates_autoescape_and_strict_undefined() -> None:
    html = render("base.html", pages=[SCRIPT], css=[], width_mm=1, height_mm=1, title=IFRAME, zoom="1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;iframe src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>" not in html
    with pytest.raises(DocumentError, match="undefined"):
        render("base.html", pages=[], css=[])
    with pytest.raises(DocumentError, match="not found"):
        render("no-such-template.html")


def test_safe_options_always_present() -> None:
    options = safe_options(PageSize.A6)
    assert "disable-javascript" in options
    assert "disable-local-file-access" in options
    assert options["proxy"] == "http://127.0.0.1:9"
    assert "bypass-proxy-for" not in options
    assert (options["page-width"], options["page-height"]) == ("105mm", "148mm")


def test_failures_raise_document_error() -> None:
    with pytest.raises(DocumentError, match="no pages"):
        html_to_pdf([], PageSize.A4)
    with pytest.raises(DocumentError, match="timed out"):
        html_to_pdf(["<p>x</p>"], PageSize.A4, timeout_s=0.001)
    with pytest.raises(DocumentError, match="not a PDF"):
        merge([b"GIF89a"])
    with pytest.raises(DocumentError, match="no PDFs"):
        merge([])


def test_one_process_many_pages_split_and_merge() -> None:
    pdf = html_to_pdf([f"<p>page {n}</p>" for n in range(1, 6)], PageSize.A6)
    assert page_count(pdf) == 5
    parts = split_pages(pdf)
    assert [pdf_text(part).strip() for part in parts] == [f"page {n}" for n in range(1, 6)]
    merged = merge([parts[4], parts[0], pdf])
    assert page_count(merged) == 7
    assert pdf_text(merged).split()[:4] == ["page", "5", "page", "1"]
