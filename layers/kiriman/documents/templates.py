"""Jinja2 rendering for every document template.

One ``Environment`` for the package: autoescaping is on for EVERY template whatever its file name
(``autoescape=True``, not ``select_autoescape``), so a recipient called ``<iframe src="file:///etc/passwd">``
is printed as text. ``StrictUndefined`` turns a missing variable into an error instead of a blank field.
Templates live next to this module in ``templates/`` and are loaded from the file system, so the Lambda
layer and the container image only need the folder copied with the package.

Only values that are already safe HTML may be passed through ``markupsafe.Markup`` (our own inline SVG
barcodes, fragments produced by ``render`` itself); everything that comes from an order, a merchant or a
carrier goes in as a plain ``str`` and is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kiriman.documents import DocumentError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _money(value: Decimal | int | float | str | None, places: int = 2) -> str:
    """``1234.5`` -> ``1,234.50``; ``None`` -> ``""``. Decimal in, so no float rounding surprises."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    return f"{amount:,.{places}f}"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["money"] = _money
    return env


def render(name: str, **ctx: Any) -> Markup:
    """Render ``templates/<name>`` with ``ctx``; the result is safe HTML (``Markup``) ready for ``html_to_pdf``.

    Raises ``DocumentError`` when the template is missing or uses a variable ``ctx`` does not give.
    """
    try:
        template = environment().get_template(name)
        return Markup(template.render(**ctx))  # noqa: S704 - autoescaped template output
    except jinja2.TemplateNotFound as exc:
        raise DocumentError(f"template not found: {name}") from exc
    except jinja2.UndefinedError as exc:
        raise DocumentError(f"template {name}: {exc.message}") from exc
