"""The function kit: declare a function once, get a deployable FastAPI app."""

from shared.kit.auth import Admin, CurrentUser, Internal, OptionalUser, Organizer, Principal
from shared.kit.function import Function, RunCounts, Scaling, declared
from shared.kit.problems import PROBLEM_JSON, problem

__all__ = [
    "PROBLEM_JSON",
    "Admin",
    "CurrentUser",
    "Function",
    "Internal",
    "OptionalUser",
    "Organizer",
    "Principal",
    "RunCounts",
    "Scaling",
    "declared",
    "problem",
]
