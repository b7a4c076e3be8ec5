"""Achievements, for those who opt in: a person's choice (on, shown on the leaderboards),
their points, badges and attendance record (/me/gamification, /me/achievements), and the
public leaderboards of the month, the year and all time (/leaderboard)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.page import Page, page_status
from shared.web.api import ApiError

ACHIEVEMENTS = "/account/achievements"
PERIODS = ("month", "year", "all")


def _signin(page: Page) -> Response:
    return page.redirect("/signin?" + urlencode({"next": ACHIEVEMENTS}))


def _trouble(page: Page, failure: ApiError, back: str) -> Response:
    if failure.status == 401 and not page.signed_in:  # the session ended meanwhile
        return _signin(page)
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("error.title"),
        text=page.error_text(failure),
        back=back,
    )


@fn.get(ACHIEVEMENTS, **PAGE)
def achievements(request: Request, done: Text = "") -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page)
    try:
        choice = page.api.get("/me/gamification")
        mine = page.api.get("/me/achievements")
    except ApiError as failure:
        return _trouble(page, failure, ACHIEVEMENTS)
    return page.render("account_achievements.html", choice=choice, mine=mine, saved=done == "saved")


@fn.post(ACHIEVEMENTS, **PAGE)
def choose(
    request: Request, csrf: FormText = "", enabled: FormText = "", public: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page)
    # A checkbox is sent only when ticked; being public means nothing while switched off.
    body = {"enabled": bool(enabled), "public": bool(enabled) and bool(public)}
    try:
        page.api.call("PUT", "/me/gamification", json=body)
    except ApiError as failure:
        return _trouble(page, failure, ACHIEVEMENTS)
    return page.redirect(ACHIEVEMENTS + "?done=saved")


@fn.get("/leaderboard", **PAGE)
def leaderboard(request: Request, period: Text = "month") -> Response:
    page = Page.of(request)
    period = period if period in PERIODS else "month"
    try:
        board = page.api.get("/leaderboard", period=period)
    except ApiError as failure:
        return _trouble(page, failure, "/")
    return page.render("leaderboard.html", items=board["items"], period=period, periods=PERIODS)
