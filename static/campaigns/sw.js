/* LabourHub offline pages' service worker (the canvassing page, the teller's page). The server
   prepends `const SHELL = [...]` (static URLs), `const PAGES = /.../` (the offline pages' paths)
   and `const CACHE = "..."` (this page family's cache name).
   It keeps the app shell (page, CSS, JS) so an offline page opens and reloads with no signal.
   Data and queued entries live in IndexedDB (static/offline/queue.js), never in this cache. */
/* global SHELL, PAGES, CACHE */
"use strict";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k.startsWith(CACHE.split("-v")[0] + "-v"))
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function fromCache(request) {
  return caches.match(request, { ignoreVary: true, ignoreSearch: true });
}

function networkFirst(request, keep) {
  return fetch(request)
    .then((response) => {
      if (keep && response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      if (keep && (response.status === 403 || response.status === 404)) {
        // The page is closed to this person now (e.g. a revoked grant). The cached shell holds no
        // personal data; it lets the page send entries recorded while access was valid (and
        // canvass.js then removes the pack from the phone).
        return fromCache(request).then((cached) => cached || response);
      }
      return response;
    })
    .catch(() => fromCache(request).then((cached) => cached || Response.error()));
}

function staleWhileRevalidate(request) {
  return fromCache(request).then((cached) => {
    const fresh = fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => cached || Response.error());
    return cached || fresh;
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // map tiles: straight to the network
  if (url.pathname.endsWith(".json")) return; // pack data: the page keeps it in IndexedDB
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, PAGES.test(url.pathname)));
  }
});
