/* The canvasser's pack list (issue 14, item 10): "Download my packs for offline", and what is on
   this phone.
   - Each pack is fetched from its data URL, as opening it does: the server records a PackDownload
     and its token comes with the data, so answers made from it follow the late-entry rule
     (campaigns/offline.py). It goes into the same IndexedDB store the canvassing page reads
     (canvass.js), and the pack's page into the canvassing cache, so a pack never opened before
     opens with no signal.
   - "On this phone" lists the packs in IndexedDB (doors, size, when downloaded), whatever the
     server now says; "Remove from this phone" deletes them and their pages. Answers still waiting
     to send stay until they are sent (nothing typed on a doorstep is lost); sign-out wipes
     everything (static/offline/signout.js). */
(function () {
  "use strict";

  const root = document.getElementById("offline-packs");
  if (!root) return;
  const { openDb, el, plural, clock, registerWorker } = window.LabourHubOffline; // static/offline/queue.js
  const CACHE = "lh-canvass-v1"; // as canvass.js and campaigns.views.service_worker
  const db = openDb("labourhub-canvass", 1, { packs: {}, queue: { keyPath: "uuid", indexes: ["state"] } });
  const button = document.getElementById("download-packs"); // none when no pack is given to me
  const wipe = document.getElementById("wipe-packs");
  const status = document.getElementById("download-status");
  const list = document.getElementById("on-phone");
  registerWorker(root.dataset.swUrl, root.dataset.swScope, () => {});
  const workerReady = "serviceWorker" in navigator ? navigator.serviceWorker.ready : Promise.resolve();

  function kb(bytes) { return Math.max(1, Math.round(bytes / 1024)); }

  async function showOnPhone() {
    const stored = (await db.all("packs")).filter((p) => p && p.pack);
    stored.sort((a, b) => String(a.pack.sheet).localeCompare(String(b.pack.sheet)));
    list.replaceChildren(...stored.map((p) => el("li", { "data-pack": p.pack.id },
      el("a", { href: root.dataset.canvassPattern.replace("/0/", `/${p.pack.id}/`), text: `${p.pack.sheet} · ${p.pack.name}` }),
      ` — ${plural(p.doors.length, "door", "doors")}, ${kb(p.bytes || JSON.stringify(p).length)} KB, downloaded ${clock(new Date(p.at))}`)));
    if (!stored.length) list.append(el("li", { class: "muted", text: "No packs: download them here before you go out." }));
    wipe.hidden = !stored.length;
    root.dataset.onPhone = String(stored.length);
  }

  /* A pack's pages, canvassing and map (every pack's, for id null), out of the cache. */
  async function removePages(id) {
    const cache = await caches.open(CACHE);
    for (const request of await cache.keys()) {
      const match = new URL(request.url).pathname.match(/\/packs\/(\d+)\/(canvass|map)\/$/);
      if (match && (id === null || Number(match[1]) === id)) await cache.delete(request);
    }
  }

  async function removePack(id) {
    await db.remove("packs", id);
    await removePages(id);
  }

  /* Packs on the phone that are no longer given to me (taken back, or another person's from
     before) leave it when I download mine: their doors are not mine to carry. */
  async function forgetOthers(items) {
    const mine = new Set(items.map((item) => Number(item.dataset.pack)));
    for (const pack of await db.all("packs")) {
      if (pack && pack.pack && !mine.has(pack.pack.id)) await removePack(pack.pack.id);
    }
  }

  async function download(item) {
    const response = await fetch(item.dataset.dataUrl, { credentials: "same-origin" });
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
      throw new Error(response.status === 404 || response.status === 403 ? "no longer yours" : `server said ${response.status}`);
    }
    const text = await response.text();
    const pack = JSON.parse(text);
    pack.bytes = text.length;
    await db.put("packs", pack, pack.pack.id);
    const cache = await caches.open(CACHE);
    // The pack's map too: it holds no addresses and draws the doors from the pack stored above.
    await cache.addAll([item.dataset.canvassUrl, item.dataset.mapUrl].map(
      (url) => new Request(url, { credentials: "same-origin" })));
  }

  if (button) button.addEventListener("click", async () => {
    const items = Array.from(document.querySelectorAll("[data-download-pack]"));
    if (!navigator.onLine) {
      status.textContent = "No signal: download your packs where there is signal, before you go out.";
      return;
    }
    button.disabled = true;
    root.dataset.state = "downloading";
    const failed = [];
    for (const [index, item] of items.entries()) {
      status.textContent = `Downloading ${index + 1} of ${items.length}…`;
      try { await download(item); } catch (error) { failed.push(`${item.dataset.sheet} (${error.message})`); }
    }
    await forgetOthers(items);
    await showOnPhone();
    status.textContent = "Making the pages work with no signal…";
    // This list too, so "On this phone" opens with no signal (pack names, no people).
    await caches.open(CACHE).then((cache) => cache.add(new Request(location.pathname, { credentials: "same-origin" }))).catch(() => {});
    await workerReady; // the service worker serves the pages (and their CSS and JS) offline
    const done = items.length - failed.length;
    status.textContent = `${plural(done, "pack is", "packs are")} on this phone, ready with no signal.` +
      (failed.length ? ` Not downloaded: ${failed.join(", ")}.` : "");
    root.dataset.state = failed.length ? "failed" : "done";
    button.disabled = false;
  });

  wipe.addEventListener("click", async () => {
    await db.idb("packs", "readwrite", (store) => store.clear());
    await removePages(null);
    // Sent answers go (the server has them); waiting ones stay until they are sent.
    const records = await db.all("queue");
    for (const record of records.filter((r) => r.state === "sent")) await db.remove("queue", record.uuid);
    const waiting = records.filter((r) => r.state === "waiting").length;
    await showOnPhone();
    status.textContent = "Removed from this phone." +
      (waiting ? ` ${plural(waiting, "answer is", "answers are")} still waiting to send: open a pack with signal to send them.` : "");
  });

  root.hidden = false; // without JavaScript there is nothing to download into
  showOnPhone();
})();
