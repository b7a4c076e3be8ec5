// Live discussion: asks the web function for messages newer than the last one shown, every
// few seconds while the tab is visible, and appends them as text (never as markup). Only on
// the newest page; without a script the page is read by reloading it.
const list = document.querySelector("[data-discussion]");
// The page's own token (the posting form's): the delete forms added here send it as the
// server-rendered ones do.
const csrf = document.querySelector('#post input[name="csrf"]')?.value;
const EVERY_MS = 5000;

function item(m) {
  const li = document.createElement("li");
  li.className = "card message";
  li.id = `m-${m.id}`;
  const meta = document.createElement("p");
  meta.className = "meta";
  const who = document.createElement("strong");
  who.textContent = m.author.name || list.dataset.someone;
  const when = document.createElement("time");
  when.dateTime = m.created_at;
  when.textContent = ` · ${m.created_at.slice(0, 16).replace("T", " ")} UTC`;
  meta.append(who, when);
  const text = document.createElement("p");
  text.className = "description";
  text.textContent = m.text;
  li.append(meta);
  if (m.reply_to) li.append(replyNote(m));
  if (m.title) {
    const title = document.createElement("h3");
    title.textContent = m.title;
    li.append(title);
  }
  li.append(text);
  const row = replyLink(m);
  if (csrf && (m.author.id === list.dataset.me || list.dataset.moderator === "yes")) {
    row.append(" ", deleteForm(m));
  }
  li.append(row);
  return li;
}

// As the server renders it for the viewer's own messages and for the team and admins (the
// API decides in the end).
function deleteForm(m) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `${location.pathname}/${m.id}/delete`;
  form.className = "inline";
  for (const [name, value] of [["csrf", csrf], ["after", list.dataset.pageAfter]]) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.append(field);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "secondary";
  button.textContent = list.dataset.delete;
  const when = m.created_at.slice(0, 16).replace("T", " ");
  button.setAttribute("aria-label", `${list.dataset.delete}: ${when}`);
  form.append(button);
  return form;
}

// As the server renders it: "in reply to <name>" linking to the message when it is on the
// page, else a note without a link (an earlier page, or deleted).
function replyNote(m) {
  const note = document.createElement("p");
  note.className = "meta";
  const replied = document.getElementById(`m-${m.reply_to}`);
  if (!replied) {
    note.textContent = `↪ ${list.dataset.inReplyElsewhere}`;
    return note;
  }
  const link = document.createElement("a");
  link.href = `#m-${m.reply_to}`;
  const name = replied.querySelector(".meta strong")?.textContent || list.dataset.someone;
  link.textContent = `↪ ${list.dataset.inReply} ${name}`;
  note.append(link);
  return note;
}

function replyLink(m) {
  const row = document.createElement("p");
  row.className = "row";
  const link = document.createElement("a");
  const after = list.dataset.pageAfter;
  link.href = `?${after ? `after=${encodeURIComponent(after)}&` : ""}reply_to=${m.id}#post`;
  link.textContent = list.dataset.reply;
  link.setAttribute("aria-label", `${list.dataset.reply}: ${m.author.name || list.dataset.someone}`);
  row.append(link);
  return row;
}

function lastShown() {
  const shown = list.querySelectorAll("li.message");
  return shown.length ? shown[shown.length - 1].id.slice(2) : list.dataset.after;
}

async function poll() {
  if (document.hidden) return;
  const after = lastShown();
  const url = `${list.dataset.poll}${after ? `?after=${encodeURIComponent(after)}` : ""}`;
  try {
    const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) return;
    const { items } = await answer.json();
    for (const m of items) {
      if (m.pinned || document.getElementById(`m-${m.id}`)) continue;
      list.append(item(m));
      document.querySelector("[data-empty]")?.remove();
    }
  } catch {
    // Offline for a moment: the next round tries again.
  }
}

if (list && list.dataset.live === "yes") setInterval(poll, EVERY_MS);
