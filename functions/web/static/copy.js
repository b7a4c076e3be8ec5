// Copy buttons: shown only where a script runs; without it the field is still there to select.
for (const button of document.querySelectorAll("[data-copy-from]")) {
  const field = document.getElementById(button.dataset.copyFrom);
  const status = button.parentElement.querySelector("[data-copied]");
  if (!field || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = status.dataset.copied;
    } catch {
      field.select();
    }
  });
}
