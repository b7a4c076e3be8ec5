"""The language of a page: the one the visitor picked (the switch on every page), else their
account's, else the browser's `Accept-Language`, else English."""

from __future__ import annotations

LANGUAGES = ("en", "ru")
COOKIE = "em_lang"


def supported(value: str | None) -> str | None:
    if not value:
        return None
    primary = value.strip().split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first supported language by the header's weights (`ru;q=0.9, en;q=0.8`)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        name, _, params = part.partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = supported(name)
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None


def choose(picked: str | None, account: str | None, accept_language: str | None) -> str:
    return (
        supported(picked)
        or supported(account)
        or from_accept_language(accept_language)
        or LANGUAGES[0]
    )
