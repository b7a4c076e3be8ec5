"""Serve one app for a benchmark, in its own process: `python -m bench.serve gateway|bare PORT`.

`gateway`: every function behind the local gateway, as `eventmgr up` serves them.
`bare`: a FastAPI app with the endpoints a benchmark compares against, to give each figure
its baseline: a GET answering a fixed JSON document, a POST answering 201, and a POST that
commits one row to PostgreSQL through a pool like ours (`DATABASE_URL`, SQLAlchemy Core).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from shared.db.engine import sqlalchemy_url


def bare_app(document: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/document")
    def read() -> dict[str, Any]:
        return document

    @app.post("/document", status_code=201)
    def write() -> dict[str, Any]:
        return document

    # Driver settings like ours (no server-side prepared statements: works through PgBouncer).
    engine = create_engine(
        sqlalchemy_url(os.environ["DATABASE_URL"]),
        pool_size=10,
        max_overflow=5,
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
        app = bare_app(json.loads(Path(sys.argv[3]).read_text()))
    else:
        from local.gateway import Gateway
        from local.registry import load_functions

        app = Gateway(load_functions())
    uvicorn.run(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")


if __name__ == "__main__":
    main()
