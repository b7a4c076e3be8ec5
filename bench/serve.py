"""Serve one app for a benchmark, in its own process: `python -m bench.serve KIND PORT [ARGS]`.

`gateway`: every function behind the local gateway, as `eventmgr up` serves them.
`function NAME`: one function's own app, as its container serves it.
`bare`: a FastAPI app with the endpoints a benchmark compares against, to give each figure
its baseline: `async def` GETs answering fixed, pre-encoded JSON documents (`/document`,
`/list`) and a fixed HTML page (`/page`), a POST answering 201, and a POST that commits one
row to PostgreSQL through a pool like ours (`DATABASE_URL`, SQLAlchemy Core).

Every kind runs with the server settings of the deployment's Dockerfile (no uvicorn access
log, no proxy headers, no Server header): only the app differs between a figure and its baseline.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from sqlalchemy import create_engine, text

from shared.config import Settings
from shared.db.engine import sqlalchemy_url


def bare_app(encoded: bytes, listed: bytes = b"[]", html: bytes = b"") -> FastAPI:
    app = FastAPI()
    document: dict[str, Any] = json.loads(encoded)

    @app.get("/document")
    async def read() -> Response:
        return Response(encoded, media_type="application/json")

    @app.get("/list")
    async def read_list() -> Response:
        return Response(listed, media_type="application/json")

    @app.get("/page")
    async def read_page() -> Response:
        return Response(html, media_type="text/html; charset=utf-8")

    @app.post("/document", status_code=201)
    def write() -> dict[str, Any]:
        return document

    # A pool like ours: the same size a deployment gets, and the same driver settings (no
    # server-side prepared statements: works through PgBouncer).
    defaults = Settings.model_fields
    engine = create_engine(
        sqlalchemy_url(os.environ["DATABASE_URL"]),
        pool_size=defaults["db_pool_size"].default,
        max_overflow=defaults["db_max_overflow"].default,
        connect_args={"prepare_threshold": None},
    )
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY)"))

    @app.post("/row", status_code=201)
    def commit_row() -> dict[str, Any]:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_rows VALUES (gen_random_uuid())"))
        return document

    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app: Any
    if kind == "bare":
        app = bare_app(*(Path(name).read_bytes() for name in sys.argv[3:6]))
    elif kind == "function":
        app = importlib.import_module(f"functions.{sys.argv[3]}.handler").app
    else:
        from local.gateway import Gateway
        from local.registry import load_functions

        app = Gateway(load_functions())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
