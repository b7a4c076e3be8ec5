"""The function kit: declare a function once, get a deployable FastAPI app."""

from shared.kit.auth import Admin, CurrentUser, Internal, OptionalUser, Organizer, Principal
from shared.kit.function import Function, Scaling, declared
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
    "Scaling",
    "declared",
    "problem",
]
