// The door page's offline worker (served per event by door.py, which sets `self.DOOR`:
// the page's path, its assets' fingerprinted addresses and a version that changes with them). It keeps the page and its
// assets so a reload without a connection still opens the door; the page's data (the
// snapshot, the queued scans) lives in the page's own storage, and its JSON calls are never
// answered from here.
const CACHE = `door:${self.DOOR.page}:${self.DOOR.version}`;

self.addEventListener("install", (installing) => {
  installing.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([self.DOOR.page, ...self.DOOR.assets]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (activating) => {
  activating.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(`door:${self.DOOR.page}:`) && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (fetching) => {
  const request = fetching.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === self.DOOR.page) {
    // The network first (fresh search results, a fresh CSRF token), the kept page offline.
    fetching.respondWith(
      fetch(request)
        .then((answer) => {
          if (answer.ok && !url.search) {
            const copy = answer.clone();
            caches.open(CACHE).then((cache) => cache.put(self.DOOR.page, copy));
          }
          return answer;
        })
        .catch(() => caches.match(self.DOOR.page)),
    );
  } else if (self.DOOR.assets.includes(url.pathname)) {
    // Fingerprinted: a name never changes its bytes.
    fetching.respondWith(caches.match(request).then((kept) => kept ?? fetch(request)));
  }
});
