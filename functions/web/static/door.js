// Door check-in on a phone. QR codes come from the camera or a photo (the browser's
// BarcodeDetector where it reads QR, the vendored jsQR otherwise). Online, each scan is
// checked in at once; offline, it is answered from the snapshot kept on this device (SHA-256
// of the code, as the API hashes it) and queued, then sent in one batch when the connection
// returns. Every call goes to this site's door endpoints with the session's CSRF token.

const root = document.getElementById("door");
if (root) start(root);

function start(root) {
  const words = JSON.parse(document.getElementById("door-words").textContent);
  const { door, csrf, zone, lang } = root.dataset;
  const status = document.getElementById("door-status");
  const results = document.getElementById("door-results");
  const saved = (name) => `door:${root.dataset.event}:${name}`;
  let snapshot = load("snapshot", { taken_at: null, entries: {} });
  let syncing = false;
  root.hidden = false;

  function load(name, fallback) {
    try {
      return JSON.parse(localStorage.getItem(saved(name))) ?? fallback;
    } catch {
      return fallback;
    }
  }

  function store(name, value) {
    try {
      localStorage.setItem(saved(name), JSON.stringify(value));
    } catch {
      // Storage full or refused: the page still works online.
    }
  }

  function clock(iso) {
    if (!iso) return "";
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat(lang, { ...options, timeZone: zone }).format(new Date(iso));
    } catch {
      return new Intl.DateTimeFormat(lang, options).format(new Date(iso));
    }
  }

  async function hashOf(code) {
    if (!globalThis.crypto?.subtle) return null; // only in a secure context (HTTPS, localhost)
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(outcome, name, at, note) {
    const item = document.createElement("li");
    item.className = `outcome outcome-${outcome}`;
    const said = {
      checked_in: words.ok,
      already: `${words.already} ${clock(at)}`,
      invalid: words.invalid,
      queued: words.unknown,
    }[outcome];
    if (outcome === "error") {
      item.className = "outcome outcome-invalid";
      item.append(note);
      results.prepend(item);
      return;
    }
    if (name) {
      const strong = document.createElement("strong");
      strong.textContent = name;
      item.append(strong, ": ");
    }
    item.append(note ? `${said} (${note})` : said);
    results.prepend(item);
    while (results.children.length > 30) results.lastElementChild.remove();
  }

  function refreshStatus() {
    const queue = load("queue", []);
    const count = Object.keys(snapshot.entries).length;
    const parts = [navigator.onLine ? words.online : words.offline];
    if (snapshot.taken_at) parts.push(`${words.snapshot}: ${count} (${clock(snapshot.taken_at)})`);
    if (queue.length) parts.push(`${words.waiting}: ${queue.length}`);
    status.textContent = parts.join(" · ");
    status.classList.toggle("offline", !navigator.onLine);
  }

  function post(path, body) {
    return fetch(door + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  }

  async function loadSnapshot() {
    if (!navigator.onLine) return;
    try {
      const answer = await fetch(`${door}/snapshot`, { credentials: "same-origin" });
      if (!answer.ok) return;
      const taken = await answer.json();
      const entries = {};
      for (const entry of taken.entries) entries[entry.code_hash] = entry;
      snapshot = { taken_at: taken.taken_at, entries };
      store("snapshot", snapshot);
    } catch {
      // Offline after all: the saved snapshot stays.
    }
    refreshStatus();
  }

  function remember(hash, outcome, at) {
    const entry = hash && snapshot.entries[hash];
    if (entry && (outcome === "checked_in" || outcome === "already")) {
      entry.status = "checked_in";
      entry.checked_in_at = entry.checked_in_at ?? at;
      store("snapshot", snapshot);
    }
  }

  async function handle(raw) {
    const code = raw.trim().toUpperCase();
    if (!code || code.length > 100) return show("invalid", null, null);
    const hash = await hashOf(code);
    const entry = hash ? snapshot.entries[hash] : undefined;
    if (navigator.onLine) {
      try {
        const answer = await post("/scan", { code });
        const body = await answer.json();
        if (answer.ok) {
          remember(hash, body.outcome, body.checked_in_at);
          show(body.outcome, body.name ?? entry?.name, body.checked_in_at);
          return refreshStatus();
        }
        // Refused (the session ended, no right at this door): said as the site says it.
        if (answer.status < 500) return show("error", null, null, body.detail);
      } catch {
        // The network failed under us: answered offline below.
      }
    }
    const scannedAt = new Date().toISOString();
    const queue = load("queue", []);
    queue.push({ code, scanned_at: scannedAt });
    store("queue", queue);
    if (!entry) show("queued", null, null);
    else if (entry.status === "checked_in") show("already", entry.name, entry.checked_in_at, words.queued);
    else if (entry.status === "confirmed") {
      remember(hash, "checked_in", scannedAt);
      show("checked_in", entry.name, null, words.queued);
    } else show("invalid", entry.name, null, words.queued);
    refreshStatus();
  }

  async function sync() {
    const batch = load("queue", []).slice(0, 500);
    if (syncing || !batch.length || !navigator.onLine) return;
    syncing = true;
    try {
      const answer = await post("/sync", { scans: batch });
      if (!answer.ok) return;
      const { results: outcomes } = await answer.json();
      for (const result of outcomes) {
        const hash = await hashOf(result.code.trim().toUpperCase());
        remember(hash, result.outcome, result.checked_in_at);
        const entry = hash ? snapshot.entries[hash] : undefined;
        show(result.outcome, entry?.name, result.checked_in_at, words.synced);
      }
      // Scans made while this batch was on its way stay queued.
      store("queue", load("queue", []).slice(batch.length));
    } catch {
      return; // still offline: the queue is kept for the next try
    } finally {
      syncing = false;
      refreshStatus();
    }
    await loadSnapshot();
    if (load("queue", []).length) await sync();
  }

  // Reading QR codes.
  let detector = null;
  let jsQRLoaded = null;
  const canvas = document.createElement("canvas");

  async function barcodeDetector() {
    if (detector !== null) return detector;
    detector = false;
    if ("BarcodeDetector" in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
      if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    }
    return detector;
  }

  function loadJsQR() {
    jsQRLoaded ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = root.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
    return jsQRLoaded;
  }

  async function decode(source, width, height) {
    const native = await barcodeDetector();
    if (native) {
      const found = await native.detect(source);
      return found.length ? found[0].rawValue : null;
    }
    await loadJsQR();
    // Photos are scaled down: jsQR is quick on a phone-camera frame, slow on 12 megapixels.
    const scale = Math.min(1, 1024 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(pixels.data, pixels.width, pixels.height);
    return found ? found.data : null;
  }

  const photo = document.getElementById("door-photo");
  photo.addEventListener("change", async () => {
    const file = photo.files[0];
    if (!file) return;
    try {
      const image = await createImageBitmap(file);
      const code = await decode(image, image.width, image.height);
      if (code) await handle(code);
      else show("invalid", null, null, words.no_qr);
    } catch {
      show("invalid", null, null, words.no_qr);
    }
    photo.value = ""; // the same picture may be scanned again
  });

  const video = document.getElementById("door-video");
  const camera = document.getElementById("door-camera");
  let stream = null;
  let last = { code: "", at: 0 };

  async function watch() {
    if (!stream) return;
    if (video.readyState >= 2) {
      const code = await decode(video, video.videoWidth, video.videoHeight).catch(() => null);
      // A code held in front of the camera is read many times a second: one scan of it.
      if (code && (code !== last.code || Date.now() - last.at > 5000)) {
        last = { code, at: Date.now() };
        await handle(code);
      }
    }
    setTimeout(watch, 250);
  }

  camera.addEventListener("click", async () => {
    if (stream) {
      for (const track of stream.getTracks()) track.stop();
      stream = null;
      video.hidden = true;
      camera.textContent = words.camera;
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch {
      return show("invalid", null, null, words.camera_error);
    }
    video.srcObject = stream;
    video.hidden = false;
    camera.textContent = words.camera_stop;
    await video.play();
    watch();
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(`${door}/worker.js`, { scope: door }).catch(() => {});
  }
  window.addEventListener("online", () => {
    refreshStatus();
    sync();
  });
  window.addEventListener("offline", refreshStatus);
  setInterval(sync, 20000);
  refreshStatus();
  loadSnapshot().then(sync);
}
