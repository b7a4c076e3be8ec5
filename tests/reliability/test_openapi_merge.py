"""The merged OpenAPI document describes each operation with its own function's schemas.

Found by the fuzzing run: `moderate_events` and `build_report` both had a `ReportPublic` model,
the merge kept one, and GET /api/v1/reports/{id} was documented with the abuse report's fields.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from local.gateway import Gateway
from local.registry import Deployed
from shared.kit import Function


def test_no_function_schema_is_replaced_in_the_merged_document(gateway):
    merged = gateway.openapi["components"]["schemas"]
    for name, deployed in gateway.deployed.items():
        own = deployed.app.openapi().get("components", {}).get("schemas", {})
        for key, definition in own.items():
            assert merged[key] == definition, f"{name}'s {key} is another function's in the merge"


def _function(name: str, model: type[BaseModel]) -> Deployed:
    function = Function(name, summary=f"{name} for the merge test")

    @function.get(f"/{name}", response_model=model)
    def read() -> BaseModel:
        raise NotImplementedError

    return Deployed(function, function.app())


def test_two_different_schemas_under_one_name_are_refused():
    class Summary(BaseModel):
        count: int

    first = _function("first", Summary)

    class Summary(BaseModel):  # type: ignore[no-redef]  # same name, other fields
        reporter: str

    second = _function("second", Summary)
    with pytest.raises(ValueError, match="component 'Summary'"):
        _ = Gateway({"first": first, "second": second}).openapi
