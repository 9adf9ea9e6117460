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
  const { openDb, el, newUuid, plural, clock, Sender, cacheThisPage, registerWorker, clockNote } =
    window.LabourHubOffline; // static/offline/queue.js
  const PACK = Number(root.dataset.pack);
  const CACHE = "lh-canvass-v1";
  const view = document.getElementById("view");
  const counter = document.getElementById("queue-count");
  const receipt = document.getElementById("receipt");
  const readyNote = document.getElementById("offline-ready");
  // The sync status is one line (the counter); receipts, "ready offline" and the clock note sit
  // under "Details", which opens by itself when something needs the canvasser (issue 14, item 9).
  const details = document.getElementById("sync-details");
  const toggle = document.getElementById("sync-toggle");
  function setDetails(open) {
    details.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  }
  toggle.addEventListener("click", () => setDetails(details.hidden));
  let lastSent = null;

  let pack = null;
  let knockedToday = {};
  const ready = { worker: false, page: false, data: false };

  // --- IndexedDB ----------------------------------------------------------------------------
  const db = openDb("labourhub-canvass", 1, { packs: {}, queue: { keyPath: "uuid", indexes: ["state"] } });
  const packGet = () => db.get("packs", PACK);
  const packPut = (value) => db.put("packs", value, PACK);
  const packDelete = () => db.remove("packs", PACK);
  const queueAll = () => db.all("queue");
  const queuePut = (record) => db.put("queue", record);

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
      : (lastSent ? `All sent at ${lastSent}` : "Nothing to send");
    const refused = records.filter((r) => r.state === "refused" && r.pack === PACK);
    const list = document.getElementById("refused");
    if (list) list.remove();
    if (refused.length) {
      receipt.after(el("div", { id: "refused", class: "refused", role: "alert" },
        el("p", { text: `${plural(refused.length, "answer was", "answers were")} not accepted (kept on this phone; tell your organiser):` }),
        el("ul", {}, refused.map((r) => el("li", { text: `${r.name}: ${r.message}` })))));
      setDetails(true);
    }
    return records;
  }

  function setReceipt(text, alert) {
    receipt.textContent = text;
    if (alert) setDetails(true);
  }

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

  const sentDoors = new Set();
  const sender = Sender({
    db, store: "queue", url: root.dataset.syncUrl, key: "answers", wire,
    settle(record, result) {
      record.visit = result.visit;
      record.message = result.message;
      record.state = (result.status === "recorded" || result.status === "duplicate") ? "sent" : "refused";
      sentDoors.add(`${record.pack}:${record.door}`);
    },
    onSent() {
      // Counted in doors, as the counter above counts what is waiting (issue 14, item 12).
      if (sentDoors.size) {
        lastSent = clock(new Date());
        setReceipt(`Sent ${plural(sentDoors.size, "door", "doors")} at ${lastSent}: safe on the server.`);
      }
      sentDoors.clear();
    },
    onError(message, signedOut, backoff) {
      if (signedOut) {
        // Say how much is waiting, not only that something went wrong (issue 14, item 12).
        queueAll().then((records) => {
          const doors = new Set(records.filter((r) => r.state === "waiting").map((r) => `${r.pack}:${r.door}`));
          setReceipt(`Sign in again to send your answers: ${plural(doors.size, "door is", "doors are")} waiting, safe on this phone.`, true);
          receipt.append(" ", el("a", { href: root.dataset.loginUrl, text: "Sign in" }));
        });
      } else if (!receipt.textContent.startsWith("Sign in")) {
        setReceipt(`Could not send yet (${message}); trying again in ${Math.round(backoff / 1000)} s.`, navigator.onLine);
      }
    },
    async after(tried) {
      await refreshCounter();
      if (tried && view.dataset.screen === "doors") renderDoors();
    },
  });
  const syncNow = sender.syncNow;

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
      // Knocked today as the server knows it: by others, and by me on another phone (or before a reload).
      const today = knockedToday[String(door.id)] || {};
      const other = today.by ? today : null;
      const doneEarlier = !mine.length && Boolean(today.mine);
      const status = [
        mine.length ? (mine.every((r) => r.state === "sent") ? "Done, sent" : "Done, waiting to send") : "",
        doneEarlier ? `Done by you at ${today.mine}` : "",
        other ? `Knocked today by ${other.by} at ${other.at}` : "",
        !mine.length && door.skip ? `Contacted recently, skip` : "",  // the contact-frequency rule
      ].filter(Boolean).join(" · ");
      return el("li", {},
        el("button", {
          type: "button", class: `door${mine.length || doneEarlier ? " done" : ""}${other ? " knocked" : ""}`,
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
      elector[4] ? el("span", { class: "skip", text: ` · contacted recently (${elector[4]}), skip` }) : null,
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
        legend, el("div", { class: "choices codes" }, codes), el("div", { class: "choices" }, strength));
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
      // Sticks to the bottom of the screen while the form scrolls under it (canvass.css), so Save
      // is always under the thumb; the page's scroll padding keeps a focused field above it.
      el("div", { class: "save-bar" }, el("button", { type: "submit", class: "big" }, "Save")));
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
    const text = await clockNote(root.dataset.pingUrl);
    const note = document.getElementById("clock");
    note.hidden = !text;
    note.textContent = text;
    if (text) setDetails(true);
  }

  async function loadToday() {
    if (!navigator.onLine) return;
    try {
      const response = await fetch(root.dataset.todayUrl, { credentials: "same-origin" });
      if (response.ok) knockedToday = (await response.json()).doors;
    } catch (error) { /* offline */ }
  }

  /* The pack's map page is an address-free shell that draws the doors from this pack as stored on
     the phone (door_map.js): kept with this page, so the map opens with no signal too. */
  function cacheMapPage() {
    if (!navigator.onLine || !("caches" in window)) return;
    caches.open(CACHE).then((cache) => cache.add(new Request(root.dataset.mapUrl, { credentials: "same-origin" })))
      .catch(() => {}); // tried again next time the page opens
  }

  async function start() {
    // Ask the browser not to clear this site's storage when the phone runs low on space.
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    registerWorker(root.dataset.swUrl, root.dataset.swScope, () => markReady("worker"));
    if (await cacheThisPage(CACHE)) markReady("page");
    cacheMapPage();
    await loadToday();
    checkClock();
    if (!(await loadPack())) {
      show("missing", el("p", {
        text: "This pack is not on this phone: open it once where there is signal, or use \"Download " +
          "my packs for offline\" on your list of packs. If it has been closed to you, answers you " +
          "recorded before are still sent from here.",
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

  window.addEventListener("online", loadToday);
  start();
})();
