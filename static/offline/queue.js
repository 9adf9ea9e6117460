/* What every offline page shares (the canvassing page, the teller's page): an IndexedDB store,
   a queue of entries with client UUIDs that is written before anything else happens, and a sender
   that posts waiting entries in batches when there is signal, retrying with back-off. The server
   applies each UUID once, so sending twice is safe. Loaded before the page's own script, which
   uses `window.LabourHubOffline`. */
(function () {
  "use strict";

  const MAX_BACKOFF = 5 * 60 * 1000;

  /* IndexedDB database `name` with object stores; `stores` maps a store name to its options
     ({keyPath, indexes: [name]}; none: out-of-line keys). */
  function openDb(name, version, stores) {
    const dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(name, version);
      request.onupgradeneeded = () => {
        const db = request.result;
        Object.entries(stores).forEach(([storeName, options]) => {
          if (db.objectStoreNames.contains(storeName)) return;
          const store = options.keyPath
            ? db.createObjectStore(storeName, { keyPath: options.keyPath })
            : db.createObjectStore(storeName);
          (options.indexes || []).forEach((index) => store.createIndex(index, index));
        });
      };
      request.onsuccess = () => {
        // Let a sign-out delete the database (static/offline/signout.js) while this page is open.
        request.result.onversionchange = () => request.result.close();
        resolve(request.result);
      };
      request.onerror = () => reject(request.error);
    });
    function idb(store, mode, operation) {
      return dbPromise.then((db) => new Promise((resolve, reject) => {
        const transaction = db.transaction(store, mode);
        const request = operation(transaction.objectStore(store));
        transaction.oncomplete = () => resolve(request ? request.result : undefined);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      }));
    }
    return {
      idb,
      get: (store, key) => idb(store, "readonly", (s) => s.get(key)),
      put: (store, value, key) => idb(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key))),
      remove: (store, key) => idb(store, "readwrite", (s) => s.delete(key)),
      all: (store) => idb(store, "readonly", (s) => s.getAll()),
      putMany: (store, records) => idb(store, "readwrite", (s) => { records.forEach((r) => s.put(r)); return null; }),
    };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }
  function clock(date) { return date.toTimeString().slice(0, 5); }

  /* The sender. Options:
     db, store        where the queue lives (records have `uuid` and `state`: "waiting" to send)
     url, key         POST {key: [wire(record), ...]}; the server answers {results: [{uuid, ...}]}
     wire(record)     what is sent for a record
     settle(record, result)  update a record from its result (set record.state; "waiting" sends again)
     order(a, b)      the order entries are sent in (optional)
     onSent(n)        after a round in which n entries were settled
     onError(message, signedOut)  a round failed (it is retried with back-off)
     after(tried)     after every round (tried: something was sent or attempted); refresh the screen */
  function Sender(options) {
    let batchSize = options.batchSize || 50; // halved when the server says a batch is too big
    let backoff = 0;
    let retryTimer = null;
    let sending = false;
    let again = false;

    async function waiting() {
      const records = (await options.db.all(options.store)).filter((r) => r.state === "waiting");
      return options.order ? records.sort(options.order) : records;
    }

    async function syncNow() {
      if (sending) { again = true; return; }
      const queued = await waiting();
      if (!queued.length || !navigator.onLine) { await options.after(false); return; }
      sending = true;
      again = false;
      let settled = 0;
      try {
        for (let start = 0; start < queued.length; start += batchSize) {
          const batch = queued.slice(start, start + batchSize);
          const response = await fetch(options.url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify({ [options.key]: batch.map(options.wire) }),
          });
          if (response.status === 401 || response.status === 403) {
            const error = new Error("signed out");
            error.signedOut = true;
            throw error;
          }
          if (response.status === 413 && batchSize > 1) batchSize = Math.max(1, Math.floor(batchSize / 2));
          if (!response.ok) throw new Error(`server said ${response.status}`);
          const body = await response.json();
          const byUuid = new Map(batch.map((r) => [r.uuid, r]));
          const now = new Date().toISOString();
          body.results.forEach((result) => {
            const record = byUuid.get(result.uuid);
            if (!record) return;
            options.settle(record, result);
            if (record.state !== "waiting") { record.sent_at = now; settled += 1; }
          });
          await options.db.putMany(options.store, Array.from(byUuid.values()));
        }
        backoff = 0;
        options.onSent(settled);
      } catch (error) {
        backoff = Math.min(MAX_BACKOFF, Math.max(2000, backoff * 2));
        options.onError(error.message, Boolean(error.signedOut), backoff);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(syncNow, backoff);
      } finally {
        sending = false;
        await options.after(true);
        if (again) setTimeout(syncNow, 0);
      }
    }

    window.addEventListener("online", () => { backoff = 0; syncNow(); });
    window.addEventListener("offline", () => options.after(false));
    document.addEventListener("visibilitychange", () => { if (!document.hidden) syncNow(); });
    setInterval(syncNow, 30000);
    return { syncNow, waiting };
  }

  /* Keep this page's shell in `cacheName` so it reloads with no signal; resolves true when it is there. */
  async function cacheThisPage(cacheName) {
    if (!("caches" in window)) return false;
    if (!navigator.onLine) return Boolean(await caches.match(location.pathname, { ignoreVary: true }));
    try {
      const cache = await caches.open(cacheName);
      await cache.add(new Request(location.pathname, { credentials: "same-origin" }));
      return true;
    } catch (error) { return false; } // try again next time the page opens
  }

  function registerWorker(url, scope, onReady) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(url, { scope }).catch(() => {});
    if (navigator.serviceWorker.controller) onReady();
    navigator.serviceWorker.addEventListener("controllerchange", onReady);
  }

  /* How far off the phone's clock is, as a sentence (or "" when within five minutes). */
  async function clockNote(pingUrl) {
    if (!navigator.onLine) return "";
    try {
      const response = await fetch(pingUrl, { credentials: "same-origin" });
      if (!response.ok) return "";
      const offMinutes = Math.round((Date.now() - Date.parse((await response.json()).server_time)) / 60000);
      if (Math.abs(offMinutes) < 5) return "";
      return `This phone's clock is ${Math.abs(offMinutes)} minutes ${offMinutes > 0 ? "fast" : "slow"}: entries are timed by the server.`;
    } catch (error) { return ""; }
  }

  window.LabourHubOffline = {
    openDb, el, newUuid, csrfToken, plural, clock, Sender, cacheThisPage, registerWorker, clockNote,
  };
})();
