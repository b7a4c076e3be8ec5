// Web Push in this browser (the notification settings page): the button turns it on (the
// worker registered, the browser subscribed with the server's VAPID key, the subscription
// handed to the API through this site) and off (unsubscribed, and taken back from the API).
// Without JavaScript the button stays hidden and the hint beside it says what push needs.
const button = document.querySelector("[data-push]");
const status = document.querySelector("[data-push-status]");
const words = JSON.parse(document.getElementById("push-words")?.textContent || "{}");
// The worker only receives pushes: a scope that holds no page, so it never stands between
// a page and the network (the door's own worker does that, for the door only).
const SCOPE = "/static/push/";

function say(key) {
  status.textContent = words[key] || "";
}

function show(on) {
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? words.off : words.on;
}

function serverKey(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

async function send(path, subscription) {
  const answer = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": button.dataset.csrf },
    body: JSON.stringify(subscription.toJSON()),
  });
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
}

async function activated(registration) {
  if (registration.active) return registration;
  const worker = registration.installing || registration.waiting;
  await new Promise((resolve) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve();
    });
  });
  return registration;
}

async function current() {
  const registration = await navigator.serviceWorker.getRegistration(SCOPE);
  const subscription = registration && (await registration.pushManager.getSubscription());
  return { registration, subscription };
}

async function turnOn() {
  if ((await Notification.requestPermission()) !== "granted") {
    say("denied");
    return;
  }
  const registration = await activated(
    await navigator.serviceWorker.register(button.dataset.worker, { scope: SCOPE }),
  );
  const subscription =
    (await registration.pushManager.getSubscription()) ||
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: serverKey(button.dataset.key),
    }));
  await send("/account/settings/push", subscription);
  // The API turned the push channel on with it: the form says so too.
  const channel = document.getElementById("push");
  if (channel) channel.checked = true;
  show(true);
  say("is_on");
}

async function turnOff() {
  const { subscription } = await current();
  if (subscription) {
    await send("/account/settings/push/off", subscription);
    await subscription.unsubscribe();
  }
  show(false);
  say("is_off");
}

async function start() {
  if (!button) return;
  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    say("unsupported");
    return;
  }
  const { subscription } = await current();
  show(Boolean(subscription) && Notification.permission === "granted");
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await (button.getAttribute("aria-pressed") === "true" ? turnOff() : turnOn());
    } catch {
      say("failed");
    } finally {
      button.disabled = false;
    }
  });
}

start();
