"""The small HTML pages mail links open, in English and Russian, working without JavaScript."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse


def page(locale: str, title: str, body_html: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
        f"{body_html}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status)
