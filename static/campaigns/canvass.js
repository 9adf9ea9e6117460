/* The canvasser's page: works with no signal.
   - The pack (doors, people, survey) is downloaded once into IndexedDB.
   - Every answer gets a client UUID and is written to IndexedDB at once, before anything else.
   - A sync queue sends waiting answers when there is signal, retrying with back-off; the server
     applies each UUID once, so sending twice is safe.
   - The page always says how many doors are waiting to send, and gives a receipt when safe. */
(function () {
  "use strict";

  const root = document.getElementById("canvass");
  if (!root) return;
  const PACK = Number(root.dataset.pack);
  const CACHE = "lh-canvass-v1";
  let batchSize = 50; // halved when the server says a batch is too big
  const MAX_BACKOFF = 5 * 60 * 1000;
  const view = document.getElementById("view");
  const counter = document.getElementById("queue-count");
  const receipt = document.getElementById("receipt");
  const readyNote = document.getElementById("offline-ready");

  let pack = null;
  let knockedToday = {};
  let backoff = 0;
  let retryTimer = null;
  let sending = false;
  const ready = { worker: false, page: false, data: false };

  // --- IndexedDB ----------------------------------------------------------------------------
  const dbPromise = new Promise((resolve, reject) => {
    const request = indexedDB.open("labourhub-canvass", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("packs");
      const queue = db.createObjectStore("queue", { keyPath: "uuid" });
      queue.createIndex("state", "state");
    };
    request.onsuccess = () => resolve(request.result);
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
  const packGet = () => idb("packs", "readonly", (s) => s.get(PACK));
  const packPut = (value) => idb("packs", "readwrite", (s) => s.put(value, PACK));
  const packDelete = () => idb("packs", "readwrite", (s) => s.delete(PACK));
  const queueAll = () => idb("queue", "readonly", (s) => s.getAll());
  const queuePut = (record) => idb("queue", "readwrite", (s) => s.put(record));
  function queuePutMany(records) {
    return idb("queue", "readwrite", (s) => { records.forEach((r) => s.put(r)); return null; });
  }

  // --- Small helpers ------------------------------------------------------------------------
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

  // --- The queue counter and receipts ---------------------------------------------------------
  async function refreshCounter() {
    const records = await queueAll();
    const waiting = records.filter((r) => r.state === "waiting");
    const doors = new Set(waiting.map((r) => `${r.pack}:${r.door}`));
    counter.dataset.waiting = String(waiting.length);
    counter.dataset.doors = String(doors.size);
    counter.classList.toggle("waiting", waiting.length > 0);
    counter.textContent = waiting.length
      ? `${plural(doors.size, "door", "doors")} waiting to send` + (navigator.onLine ? "" : " (no signal)")
      : "Nothing waiting: every answer is safe on the server";
    const refused = records.filter((r) => r.state === "refused" && r.pack === PACK);
    const list = document.getElementById("refused");
    if (list) list.remove();
    if (refused.length) {
      receipt.after(el("div", { id: "refused", class: "refused", role: "alert" },
        el("p", { text: `${plural(refused.length, "answer was", "answers were")} not accepted (kept on this phone; tell your organiser):` }),
        el("ul", {}, refused.map((r) => el("li", { text: `${r.name}: ${r.message}` })))));
    }
    return records;
  }

  function setReceipt(text) { receipt.textContent = text; }

  function markReady(part) {
    ready[part] = true;
    if (ready.worker && ready.page && ready.data) {
      readyNote.textContent = "Ready to work offline.";
      root.dataset.offlineReady = "true";
    }
  }

  // --- Sending -------------------------------------------------------------------------------
  function wire(record) {
    return {
      uuid: record.uuid, pack: record.pack, elector: record.elector, outcome: record.outcome,
      survey_version: record.survey_version, answers: record.answers, notes: record.notes,
      recorded_at: record.recorded_at, download: record.download,
    };
  }

  function scheduleRetry(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(syncNow, delay);
  }

  async function syncNow() {
    if (sending) return;
    const records = await queueAll();
    const waiting = records.filter((r) => r.state === "waiting");
    if (!waiting.length) { await refreshCounter(); return; }
    if (!navigator.onLine) { await refreshCounter(); return; }
    sending = true;
    let sent = 0;
    try {
      for (let start = 0; start < waiting.length; start += batchSize) {
        const batch = waiting.slice(start, start + batchSize);
        const response = await fetch(root.dataset.syncUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ answers: batch.map(wire) }),
        });
        if (response.status === 401 || response.status === 403) {
          setReceipt("Sign in again to send your answers. They are safe on this phone.");
          receipt.append(" ", el("a", { href: root.dataset.loginUrl, text: "Sign in" }));
          throw new Error("signed out");
        }
        if (response.status === 413 && batchSize > 1) batchSize = Math.max(1, Math.floor(batchSize / 2));
        if (!response.ok) throw new Error(`server said ${response.status}`);
        const body = await response.json();
        const byUuid = new Map(batch.map((r) => [r.uuid, r]));
        const now = new Date().toISOString();
        body.results.forEach((result) => {
          const record = byUuid.get(result.uuid);
          if (!record) return;
          record.sent_at = now;
          record.visit = result.visit;
          record.message = result.message;
          record.state = (result.status === "recorded" || result.status === "duplicate") ? "sent" : "refused";
          if (record.state === "sent") sent += 1;
        });
        await queuePutMany(Array.from(byUuid.values()));
      }
      backoff = 0;
      setReceipt(`Sent ${plural(sent, "answer", "answers")} at ${clock(new Date())}: safe on the server.`);
    } catch (error) {
      backoff = Math.min(MAX_BACKOFF, Math.max(2000, backoff * 2));
      if (!receipt.textContent.startsWith("Sign in")) {
        setReceipt(`Could not send yet (${error.message}); trying again in ${Math.round(backoff / 1000)} s.`);
      }
      scheduleRetry(backoff);
    } finally {
      sending = false;
      await refreshCounter();
      if (view.dataset.screen === "doors") renderDoors();
    }
  }

  // --- Recording -----------------------------------------------------------------------------
  async function record(door, elector, outcome, answers, notes) {
    const entry = {
      uuid: newUuid(), pack: PACK, door: door.id, elector: elector[0], name: elector[1],
      outcome, answers: answers || {}, notes: notes || "",
      survey_version: pack.survey ? pack.survey.id : null,
      // The server's token for the download this answer was made from: it lets the answer in
      // even if it arrives after the canvasser's access ended (within a set window).
      download: pack.token || null,
      recorded_at: new Date().toISOString(), state: "waiting",
    };
    await queuePut(entry); // on the phone before anything else happens
    return entry;
  }

  function recordsFor(records, door) {
    return records.filter((r) => r.pack === PACK && r.door === door.id);
  }

  // --- Screens -------------------------------------------------------------------------------
  function show(screen, ...nodes) {
    view.dataset.screen = screen;
    view.replaceChildren(...nodes);
    window.scrollTo(0, 0);
    const heading = view.querySelector("h1, h2");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  }

  async function renderDoors() {
    const records = await queueAll();
    const items = pack.doors.map((door, index) => {
      const mine = recordsFor(records, door);
      const other = knockedToday[String(door.id)];
      const status = [
        mine.length ? (mine.every((r) => r.state === "sent") ? "Done, sent" : "Done, waiting to send") : "",
        other ? `Knocked today by ${other.by} at ${other.at}` : "",
      ].filter(Boolean).join(" · ");
      return el("li", {},
        el("button", {
          type: "button", class: `door${mine.length ? " done" : ""}${other ? " knocked" : ""}`,
          "data-door": door.id, onclick: () => renderDoor(index),
        },
        el("span", { class: "door-address", text: door.a }),
        el("span", { class: "door-meta", text: `${plural(door.e.length, "person", "people")}${status ? " · " + status : ""}` })));
    });
    show("doors",
      el("h1", { text: `${pack.pack.sheet} · ${pack.pack.name}` }),
      el("p", { class: "muted", text: pack.pack.campaign }),
      el("p", { class: "pack-links" },
        el("a", { href: root.dataset.mapUrl, text: "Map of these doors" }),
        el("a", { href: root.dataset.printUrl, text: "Paper sheet" })),
      el("ol", { class: "doors" }, items));
  }

  async function renderDoor(index) {
    const door = pack.doors[index];
    const records = recordsFor(await queueAll(), door);
    const done = new Set(records.map((r) => r.elector));
    const doorOutcomes = pack.outcomes.filter(([, , spoke]) => !spoke);
    const people = door.e.map((elector) => el("li", { class: "person" },
      el("span", { class: "person-name", text: elector[1] }),
      el("span", { class: "muted", text: ` ${elector[2]}${elector[3] ? " · last: " + elector[3] : ""}` }),
      done.has(elector[0])
        ? el("span", { class: "saved", text: " ✓ recorded" })
        : el("button", { type: "button", class: "big", onclick: () => renderSurvey(index, elector) }, `Spoke to ${elector[1].split(" ")[0]}`)));
    const next = index + 1 < pack.doors.length
      ? el("button", { type: "button", class: "big secondary", onclick: () => renderDoor(index + 1) }, "Next door →")
      : null;
    show("door",
      el("button", { type: "button", class: "secondary back", onclick: renderDoors }, "← All doors"),
      el("h1", { text: door.a }),
      el("p", { class: "muted", text: door.pc }),
      el("ul", { class: "people plain" }, people),
      el("h2", { text: "Nobody to talk to?" }),
      el("div", { class: "outcomes" }, doorOutcomes.map(([code, label]) => el("button", {
        type: "button", class: "big secondary", "data-outcome": code,
        onclick: async () => {
          for (const elector of door.e.filter((e) => !done.has(e[0]))) {
            await record(door, elector, code, null, "");
          }
          await refreshCounter();
          syncNow();
          if (index + 1 < pack.doors.length) renderDoor(index + 1); else renderDoors();
        },
      }, label))),
      next);
  }

  function questionField(question) {
    const name = `q-${question.key}`;
    const legend = el("legend", { text: question.text });
    if (question.kind === "intention") {
      const codes = pack.codes.map(([code, label]) => el("label", { class: "choice" },
        el("input", { type: "radio", name, value: code }), `${code} ${label}`));
      const strength = ["hard", "soft"].map((s) => el("label", { class: "choice" },
        el("input", { type: "radio", name: `${name}-strength`, value: s }), s));
      return el("fieldset", { class: "question", "data-key": question.key, "data-kind": question.kind },
        legend, el("div", { class: "choices" }, codes), el("div", { class: "choices" }, strength));
    }
    if (question.kind === "likelihood") {
      const options = [el("option", { value: "", text: "Not asked" })].concat(
        Array.from({ length: 11 }, (_, n) => el("option", { value: String(n), text: String(n) })));
      return el("fieldset", { class: "question", "data-key": question.key, "data-kind": question.kind },
        legend, el("select", { name, "aria-label": question.text }, options));
    }
    if (question.kind === "issues") {
      const boxes = question.options.map(([code, label]) => el("label", { class: "choice" },
        el("input", { type: "checkbox", name, value: code }), label));
      return el("fieldset", { class: "question", "data-key": question.key, "data-kind": question.kind },
        legend, el("div", { class: "choices" }, boxes),
        el("label", {}, "Something else", el("input", { type: "text", name: `${name}-other` })));
    }
    if (question.kind === "yes_no") {
      const choices = [["yes", "Yes"], ["no", "No"]].map(([value, label]) => el("label", { class: "choice" },
        el("input", { type: "radio", name, value }), label));
      return el("fieldset", { class: "question", "data-key": question.key, "data-kind": question.kind },
        legend, el("div", { class: "choices" }, choices));
    }
    return el("fieldset", { class: "question", "data-key": question.key, "data-kind": question.kind },
      legend, el("textarea", { name, rows: 2, "aria-label": question.text }));
  }

  function readAnswers(form) {
    const answers = {};
    (pack.survey ? pack.survey.questions : []).forEach((question) => {
      const name = `q-${question.key}`;
      const checked = form.querySelector(`input[name="${name}"]:checked`);
      if (question.kind === "intention" && checked) {
        const strength = form.querySelector(`input[name="${name}-strength"]:checked`);
        const takes = pack.codes.find(([code]) => code === checked.value)[2];
        answers[question.key] = { code: checked.value, strength: takes && strength ? strength.value : "" };
      } else if (question.kind === "likelihood" && form.elements[name].value !== "") {
        answers[question.key] = Number(form.elements[name].value);
      } else if (question.kind === "issues") {
        const codes = Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (i) => i.value);
        const other = form.elements[`${name}-other`].value.trim();
        if (codes.length || other) answers[question.key] = { codes, other };
      } else if (question.kind === "yes_no" && checked) {
        answers[question.key] = checked.value === "yes";
      } else if (question.kind === "text" && form.elements[name].value.trim()) {
        answers[question.key] = form.elements[name].value.trim();
      }
    });
    return answers;
  }

  function renderSurvey(index, elector) {
    const door = pack.doors[index];
    const questions = pack.survey ? pack.survey.questions.map(questionField) : [];
    const form = el("form", { class: "survey", novalidate: true },
      questions,
      el("label", {}, "Notes", el("textarea", { name: "notes", rows: 3, maxlength: 4000 })),
      el("button", { type: "submit", class: "big" }, "Save"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await record(door, elector, "spoke", readAnswers(form), form.elements.notes.value);
      await refreshCounter();
      syncNow();
      renderDoor(index);
    });
    show("survey",
      el("button", { type: "button", class: "secondary back", onclick: () => renderDoor(index) }, "← Back to the door"),
      el("h1", { text: elector[1] }),
      el("p", { class: "muted", text: door.a }),
      form);
  }

  // --- Start-up -------------------------------------------------------------------------------
  async function loadPack() {
    if (navigator.onLine) {
      try {
        const response = await fetch(root.dataset.dataUrl, { credentials: "same-origin" });
        if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
          pack = await response.json();
          await packPut(pack);
        } else if (response.status === 403 || response.status === 404) {
          await packDelete(); // no longer open to this person: its doors and people leave the phone
          return null;
        }
      } catch (error) { /* no signal after all: use the copy on the phone */ }
    }
    if (!pack) pack = await packGet();
    return pack;
  }

  async function checkClock() {
    if (!navigator.onLine) return;
    try {
      const response = await fetch(root.dataset.pingUrl, { credentials: "same-origin" });
      if (!response.ok) return;
      const offMinutes = Math.round((Date.now() - Date.parse((await response.json()).server_time)) / 60000);
      const note = document.getElementById("clock");
      note.hidden = Math.abs(offMinutes) < 5;
      note.textContent = `This phone's clock is ${Math.abs(offMinutes)} minutes ${offMinutes > 0 ? "fast" : "slow"}: answers are timed by the server.`;
    } catch (error) { /* offline */ }
  }

  async function loadToday() {
    if (!navigator.onLine) return;
    try {
      const response = await fetch(root.dataset.todayUrl, { credentials: "same-origin" });
      if (response.ok) knockedToday = (await response.json()).doors;
    } catch (error) { /* offline */ }
  }

  async function cacheThisPage() {
    if (!("caches" in window) || !navigator.onLine) {
      if ("caches" in window && await caches.match(location.pathname, { ignoreVary: true })) markReady("page");
      return;
    }
    try {
      const cache = await caches.open(CACHE);
      await cache.add(new Request(location.pathname, { credentials: "same-origin" }));
      markReady("page");
    } catch (error) { /* try again next time the page opens */ }
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope }).catch(() => {});
    if (navigator.serviceWorker.controller) markReady("worker");
    navigator.serviceWorker.addEventListener("controllerchange", () => markReady("worker"));
  }

  async function start() {
    // Ask the browser not to clear this site's storage when the phone runs low on space.
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    registerWorker();
    await cacheThisPage();
    await loadToday();
    checkClock();
    if (!(await loadPack())) {
      show("missing", el("p", {
        text: "This pack is not on this phone: open it once where there is signal. If it has been " +
          "closed to you, answers you recorded before are still sent from here.",
      }));
      await refreshCounter();
      syncNow();
      return;
    }
    markReady("data");
    await refreshCounter();
    renderDoors();
    syncNow();
  }

  window.addEventListener("online", () => { backoff = 0; loadToday(); syncNow(); });
  window.addEventListener("offline", refreshCounter);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) syncNow(); });
  setInterval(syncNow, 30000);
  start();
})();
