"""`/docs`: Swagger UI served from the platform itself, so it works offline.

The assets come packaged (the `fastapi-offline` distribution ships Swagger UI's files); the
page references only same-origin URLs, and Swagger UI's online validator badge is off.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

from shared import process_state

ASSETS_PATH = "/docs/assets/"
# Name → media type: only these files are served, nothing else from the package.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    docs = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{ASSETS_PATH}swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    # Swagger UI runs scripts: of the pages' policy it keeps only "never framed".
    docs.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return docs


def asset(path: str) -> Response | None:
    """The packaged file at `/docs/assets/<name>`, or None for any other name."""
    name = path.removeprefix(ASSETS_PATH)
    if name not in ASSETS:
        return None
    return Response(
        _read(name),
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


@process_state.cached
def _read(name: str) -> bytes:
    return (files("fastapi_offline") / "static" / name).read_bytes()
