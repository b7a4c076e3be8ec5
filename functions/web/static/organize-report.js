// Checks a report that is still being built, gently (2 s, then longer, at most 15 s apart),
// and shows the page again once it is ready or failed. Without JavaScript the page's
// "Check again" link does the same by hand.
const section = document.querySelector("[data-report-status]");
let wait = 2000;

async function check() {
  try {
    const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.querySelector("[data-report-status]");
    const status = fresh && fresh.dataset.reportStatus;
    if (status && status !== "pending" && status !== "running") {
      section.replaceWith(document.importNode(fresh, true));
      return;
    }
  } catch {
    // Offline for a moment: try again later.
  }
  wait = Math.min(wait * 1.5, 15000);
  window.setTimeout(check, wait);
}

if (section) window.setTimeout(check, wait);
