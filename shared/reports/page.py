"""The page a "report ready" mail opens: sign in, then the download starts.

A mail must not carry the file's link (a presigned URL is a bearer capability for a list of
people's names and addresses), and `GET /api/v1/reports/{id}` wants a bearer token no mail
client has. So the mail opens this page, which holds no secret: a small form signs in through
the public login API (the login function keeps its throttling and its keys), asks the report
API for a fresh link as the signed-in requester, ends that short session, and follows the
link. The script is served beside the page (`script-src 'self'`, nothing inline); the token
lives only in the page's memory. English and Russian, by `Accept-Language`.
"""

from __future__ import annotations

import uuid
from html import escape

from fastapi.responses import HTMLResponse, Response

from shared.users.pages import page

SCRIPT_PATH = "/reports/download.js"
# The page may run its own script and call its own origin's API; nothing else, and no framing.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Download your report",
        "intro": "Sign in with the account that asked for the report; the download starts "
        "right after.",
        "email": "Email",
        "password": "Password",
        "button": "Sign in and download",
        "working": "Signing in…",
        "wrong": "Wrong email or password.",
        "many": "Too many tries; wait a little and try again.",
        "blocked": "This account cannot sign in.",
        "notyours": "This report is not yours, or it was removed (reports are kept 7 days).",
        "pending": "The report is still being built; try again in a minute.",
        "failed": "The report could not be built:",
        "ready": "Your download is starting.",
        "trouble": "Something went wrong; try again in a minute.",
        "noscript": "This page needs JavaScript to sign you in. Without it, fetch the report "
        "through the API: GET /api/v1/reports/{id} with your access token.",
    },
    "ru": {
        "title": "Скачать отчёт",
        "intro": "Войдите под учётной записью, запросившей отчёт; скачивание начнётся сразу "
        "после входа.",
        "email": "Почта",
        "password": "Пароль",
        "button": "Войти и скачать",
        "working": "Входим…",
        "wrong": "Неверная почта или пароль.",
        "many": "Слишком много попыток; подождите немного и попробуйте снова.",
        "blocked": "Эта учётная запись не может войти.",
        "notyours": "Этот отчёт не ваш или уже удалён (отчёты хранятся 7 дней).",
        "pending": "Отчёт ещё строится; попробуйте через минуту.",
        "failed": "Отчёт не удалось построить:",
        "ready": "Скачивание начинается.",
        "trouble": "Что-то пошло не так; попробуйте через минуту.",
        "noscript": "Для входа на этой странице нужен JavaScript. Без него получите отчёт "
        "через API: GET /api/v1/reports/{id} с вашим токеном доступа.",
    },
}
# What the script says, handed to it in data attributes (no inline script, no markup).
MESSAGES = (
    "working",
    "wrong",
    "many",
    "blocked",
    "notyours",
    "pending",
    "failed",
    "ready",
    "trouble",
)

SCRIPT = """\
"use strict";
(function () {
  var form = document.getElementById("sign-in");
  var status = document.getElementById("status");
  var say = function (key, extra) {
    status.textContent = form.dataset[key] + (extra ? " " + extra : "");
  };
  var json = function (body) {
    return {"Content-Type": "application/json", "Accept": "application/json", ...body};
  };
  form.hidden = false;
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    say("working");
    try {
      var login = await fetch("/api/v1/auth/login", {
        method: "POST",
        headers: json({}),
        body: JSON.stringify({email: form.email.value, password: form.password.value}),
      });
      if (!login.ok) {
        say(login.status === 429 ? "many" : login.status === 403 ? "blocked" : "wrong");
        return;
      }
      var tokens = await login.json();
      var bearer = {"Authorization": "Bearer " + tokens.access_token};
      var answer = await fetch("/api/v1/reports/" + form.dataset.report, {headers: bearer});
      // The session was only for this download: end it before leaving the page.
      await fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: json(bearer),
        body: JSON.stringify({refresh_token: tokens.refresh_token}),
      });
      if (!answer.ok) {
        say(answer.status === 404 ? "notyours" : "trouble");
        return;
      }
      var report = await answer.json();
      if (report.status === "ready" && report.download_url) {
        say("ready");
        window.location.assign(report.download_url);
      } else if (report.status === "failed") {
        say("failed", report.error || "");
      } else {
        say("pending");
      }
    } catch (error) {
      say("trouble");
    } finally {
      form.password.value = "";
      button.disabled = false;
    }
  });
})();
"""


def download_page(report_id: uuid.UUID, locale: str) -> HTMLResponse:
    words = WORDS.get(locale, WORDS["en"])
    data = " ".join(f'data-{key}="{escape(words[key])}"' for key in MESSAGES)
    body = (
        f"<p>{escape(words['intro'])}</p>"
        f"<noscript><p>{escape(words['noscript'].format(id=report_id))}</p></noscript>"
        f'<form id="sign-in" hidden data-report="{report_id}" {data}>'
        f'<p><label>{escape(words["email"])}<br><input type="email" name="email" required '
        'autocomplete="username"></label></p>'
        f'<p><label>{escape(words["password"])}<br><input type="password" name="password" '
        'required autocomplete="current-password"></label></p>'
        f'<p><button type="submit">{escape(words["button"])}</button></p></form>'
        '<p id="status" role="status" aria-live="polite"></p>'
        f'<script src="{SCRIPT_PATH}"></script>'
    )
    answer = page(locale, words["title"], body)
    answer.headers.update(HEADERS)
    return answer


def download_script() -> Response:
    answer = Response(SCRIPT, media_type="text/javascript; charset=utf-8")
    answer.headers.update(HEADERS)
    answer.headers["Cache-Control"] = "public, max-age=3600"
    return answer
