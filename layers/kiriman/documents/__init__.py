"""Documents: labels, ZPL, packing slips, pick lists, customs forms and manifests (issue #9).

Pure Python plus one subprocess (wkhtmltopdf); no boto3 or httpx here. The pieces:

- ``templates.render(name, **ctx)`` renders a Jinja2 template from ``templates/`` with autoescaping on for
  every template and ``StrictUndefined`` (a missing variable is an error, never an empty string).
- ``pdf.html_to_pdf(pages, size)`` prints many HTML body fragments with ONE wkhtmltopdf process, the safe
  options always on; ``pdf.split_pages`` and ``pdf.merge`` cut and join PDFs.
- ``barcodes``, ``labels`` and ``zpl``: our own 4x6 label as PDF and ZPL.
"""

from __future__ import annotations


class DocumentError(Exception):
    """A document could not be rendered (wkhtmltopdf failed, timed out, or a font or template is missing).

    This is a server-side failure (retry or alarm), not bad input: inputs are validated before rendering.
    """
