// The event's times once more in the reader's own time zone, when it differs from the event's:
// the page already shows them in the event's zone, which is all a reader without script needs.
const reader = Intl.DateTimeFormat().resolvedOptions().timeZone;
for (const slot of document.querySelectorAll("[data-reader-time]")) {
  if (!reader || reader === slot.dataset.eventZone) continue;
  const format = new Intl.DateTimeFormat(document.documentElement.lang, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: reader,
  });
  const shown = [slot.dataset.starts, slot.dataset.ends].map((at) => format.format(new Date(at)));
  slot.querySelector("[data-reader-value]").textContent = `${shown.join(" – ")} (${reader})`;
  slot.hidden = false;
}
