/* The knocker's pack page (gotv/views_knockup.py `pack`), working with no signal.
   - The page is rendered by the server (names and doors as at "includes tellings up to HH:MM");
     the shared service worker (static/campaigns/sw.js, served as gotv:knockup_service_worker)
     keeps the last copy so the pack reloads with no signal.
   - A tap on an outcome (not in, will vote, voted, needs a lift, won't vote) is written to
     IndexedDB with a client UUID at once, before anything else; static/offline/queue.js sends
     waiting outcomes to gotv:knockup_sync when there is signal, and the server applies each UUID
     once. "Voted" and "won't vote" take the person off the list here as the server will.
   - Each outcome carries the signed download token of the page it was tapped on (the server's
     time), which is what lets a knocker's outcomes in after their access ends, within the bounded
     late-entry rule (gotv/offline.py), never the phone's clock.
   - When the server says the pack is no longer this person's (403/404), the queue is sent first,
     then the cached copy of the page (which holds names) is deleted and the list cleared.
   Without JavaScript the buttons post the form as before. */
(function () {
  "use strict";

  const root = document.getElementById("knockup");
  if (!root) return;
  const { openDb, newUuid, plural, clock, Sender, registerWorker, clockNote } = window.LabourHubOffline;
  const CACHE = "lh-knockup-v1"; // as gotv/views_knockup.py service_worker
  const PACK = Number(root.dataset.pack);
  const OFF_LIST = new Set(["voted", "wont_vote"]); // the server drops these from the knock-up list
  const KEEP_SENT_MS = 18 * 3600 * 1000;
  const counter = document.getElementById("queue-count");
  const receipt = document.getElementById("receipt");
  const stale = document.getElementById("stale");
  const ready = { worker: false, page: false };
  const labels = {};
  let lastSeq = 0;
  let wentOffline = !navigator.onLine;

  const db = openDb("labourhub-knockup", 1, { queue: { keyPath: "uuid", indexes: ["state"] } });
  const bySeq = (a, b) => a.seq - b.seq;

  root.querySelectorAll(".knockup-buttons button").forEach((button) => { labels[button.value] = button.textContent; });

  // --- Screen ------------------------------------------------------------------------------------
  function stateText(record) {
    if (record.state === "waiting") return "waiting to send";
    if (record.state === "sent") return "sent";
    return `not saved: ${record.message || record.status}`;
  }

  async function refresh() {
    const records = (await db.all("queue")).sort(bySeq);
    const waiting = records.filter((r) => r.state === "waiting");
    counter.dataset.waiting = String(waiting.length);
    counter.classList.toggle("waiting", waiting.length > 0);
    counter.textContent = waiting.length
      ? `${plural(waiting.length, "outcome", "outcomes")} waiting to send` + (navigator.onLine ? "" : " (no signal)")
      : "All sent: nothing waiting";
    // The latest outcome tapped for each person on this pack (a rejected one does not count).
    const latest = new Map();
    records.filter((r) => r.pack === PACK).forEach((r) => latest.set(r.elector, r));
    root.querySelectorAll("form[data-elector]").forEach((form) => {
      const record = latest.get(Number(form.dataset.elector));
      const said = form.querySelector(".knockup-said");
      const off = Boolean(record && record.state !== "rejected" && OFF_LIST.has(record.outcome));
      form.classList.toggle("knockup-person", !off);
      form.classList.toggle("knockup-off", off);
      form.querySelector(".knockup-buttons").hidden = off;
      form.querySelectorAll(".knockup-buttons button").forEach((button) => {
        button.setAttribute("aria-pressed", String(Boolean(record && record.outcome === button.value)));
      });
      said.dataset.state = record ? record.state : "";
      said.textContent = record
        ? `${labels[record.outcome] || record.outcome} at ${clock(new Date(record.recorded_at))}: ${stateText(record)}.`
        : "";
    });
    root.dataset.waiting = String(waiting.length);
    return records;
  }

  function showStale() {
    if (!navigator.onLine) {
      stale.hidden = false;
      stale.textContent = `No signal: this is the pack as at ${root.dataset.stamp}. Outcomes are saved on this phone.`;
    } else if (wentOffline) {
      stale.hidden = false;
      stale.textContent = "Signal is back: Refresh for the latest tellings.";
    } else {
      stale.hidden = true;
    }
  }

  function markReady(part) {
    ready[part] = true;
    if (ready.worker && ready.page) {
      document.getElementById("offline-ready").textContent = "Ready to work offline.";
      root.dataset.offlineReady = "true";
    }
  }

  // --- Sending -----------------------------------------------------------------------------------
  const sender = Sender({
    db, store: "queue", url: root.dataset.syncUrl, key: "outcomes", order: bySeq,
    wire: (r) => ({ uuid: r.uuid, pack: r.pack, elector: r.elector, outcome: r.outcome,
      recorded_at: r.recorded_at, token: r.token }),
    settle(record, result) {
      record.status = result.status;
      record.message = result.message;
      record.state = result.status === "recorded" || result.status === "duplicate" ? "sent" : "rejected";
    },
    onSent(settled) {
      if (settled) receipt.textContent = `Sent ${plural(settled, "outcome", "outcomes")} at ${clock(new Date())}: safe on the server.`;
    },
    onError(message, signedOut, backoff) {
      if (signedOut) {
        receipt.textContent = "Sign in again to send your outcomes. They are safe on this phone. ";
        const link = document.createElement("a");
        link.href = root.dataset.loginUrl;
        link.textContent = "Sign in";
        receipt.append(link);
      } else {
        receipt.textContent = `Could not send yet (${message}); trying again in ${Math.round(backoff / 1000)} s.`;
      }
    },
    after: refresh,
  });

  async function record(form, outcome) {
    lastSeq = Math.max(Date.now(), lastSeq + 1);
    await db.put("queue", {
      uuid: newUuid(), seq: lastSeq, pack: PACK, elector: Number(form.dataset.elector), outcome,
      token: root.dataset.download, recorded_at: new Date().toISOString(), state: "waiting",
    }); // on the phone before anything else happens
    await refresh();
    sender.syncNow();
  }

  root.querySelectorAll("form[data-elector]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = event.submitter;
      if (button && button.value) record(form, button.value);
    });
  });

  // Refresh: with signal, send what is waiting first so the new page already reflects it.
  const refreshLink = document.getElementById("refresh");
  refreshLink.addEventListener("click", async (event) => {
    event.preventDefault();
    if (!navigator.onLine) { showStale(); return; }
    await sender.syncNow();
    location.assign(refreshLink.href);
  });

  window.addEventListener("online", showStale);
  window.addEventListener("offline", () => { wentOffline = true; showStale(); });

  // --- The cached page ---------------------------------------------------------------------------
  async function forgetPack(reason) {
    if ("caches" in window) {
      const cache = await caches.open(CACHE);
      await cache.delete(location.pathname, { ignoreVary: true, ignoreSearch: true });
    }
    document.getElementById("doors").replaceChildren();
    const done = document.getElementById("done");
    if (done) done.remove();
    stale.hidden = false;
    stale.textContent = reason;
    root.dataset.gone = "true";
  }

  /* Keep this page for offline reloads; when the copy on screen may be the cached one (the worker
     serves it when the network fails or refuses), ask the server whether the pack is still ours.
     The worker keeps each pack page it fetches, so once a copy is kept the question is a HEAD
     request (the server checks the pack is ours and renders nothing): only a first visit, before
     the worker controlled the page, fetches the page again to keep it. */
  async function checkPage() {
    if (!("caches" in window)) return;
    const kept = await caches.match(location.pathname, { ignoreVary: true, ignoreSearch: true });
    if (!navigator.onLine) {
      if (kept) markReady("page");
      return;
    }
    try {
      const response = await fetch(location.pathname, {
        method: kept ? "HEAD" : "GET", credentials: "same-origin", cache: "no-store",
      });
      if (response.status === 403 || response.status === 404) {
        if ((await sender.waiting()).length) await sender.syncNow(); // late entries go first
        await forgetPack("This pack is no longer yours: ask the committee room for another. Outcomes you recorded have been sent.");
        return;
      }
      if (response.ok && !response.redirected) {
        if (!kept) await (await caches.open(CACHE)).put(location.pathname, response);
        markReady("page");
      }
    } catch (error) { /* no signal after all: try again next time the page opens */ }
  }

  // --- Start-up ----------------------------------------------------------------------------------
  async function start() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    registerWorker(root.dataset.swUrl, root.dataset.swScope, () => markReady("worker"));
    const old = Date.now() - KEEP_SENT_MS;
    const records = await db.all("queue");
    await Promise.all(records.filter((r) => r.state !== "waiting" && Date.parse(r.sent_at || r.recorded_at) < old)
      .map((r) => db.remove("queue", r.uuid)));
    showStale();
    await refresh();
    await sender.syncNow();
    await checkPage();
    const text = await clockNote(root.dataset.pingUrl);
    const note = document.getElementById("clock");
    note.hidden = !text;
    note.textContent = text;
  }

  start();
})();
