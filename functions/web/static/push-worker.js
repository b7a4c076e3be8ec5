// The Web Push worker (registered by push.js): shows each pushed notification, and on a
// click focuses the page it links to, or opens it. The message is what the platform sends
// (shared/notifications/delivery/push.py): {id, kind, title, body, url}.
const FALLBACK = "/account/notifications";

// The message links the API's resource; the person reads an event on its page here.
function pageOf(link) {
  if (!link) return FALLBACK;
  try {
    const url = new URL(link, self.location.origin);
    const event = url.pathname.match(/^\/api\/v1\/events\/([0-9a-fA-F-]{36})$/);
    return event ? new URL(`/events/${event[1]}`, self.location.origin).href : url.href;
  } catch {
    return FALLBACK;
  }
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("push", (pushed) => {
  let message = {};
  try {
    message = pushed.data ? pushed.data.json() : {};
  } catch {
    message = { body: pushed.data.text() };
  }
  pushed.waitUntil(
    self.registration.showNotification(message.title || "Event Manager", {
      body: message.body || "",
      tag: message.id, // the same notice pushed twice shows once
      data: { url: pageOf(message.url) },
    }),
  );
});

self.addEventListener("notificationclick", (clicked) => {
  clicked.notification.close();
  const target = new URL(clicked.notification.data?.url || FALLBACK, self.location.origin).href;
  clicked.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((window) => window.url === target);
      return open ? open.focus() : self.clients.openWindow(target);
    }),
  );
});
