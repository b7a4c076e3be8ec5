"""`/docs` works offline: Swagger UI's files come from the platform, not from a CDN."""

from __future__ import annotations

import re


def test_docs_reference_only_same_origin_assets_that_answer(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert referenced, html
    for url in referenced:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 1000, url
    # Nothing else on the page points off the platform (Swagger UI's validator badge included).
    assert not re.search(r"https?://", html)
    assert (
        client.get("/docs/assets/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/core.py").status_code == 404
