/* The teller's page: a keypad for poll-card numbers at one box, working with no signal.
   - Every entry (number, undo, agent's count) gets a client UUID and is written to IndexedDB at
     once; static/offline/queue.js sends waiting entries in order when there is signal, and the
     server applies each UUID once (gotv/telling_sync.py).
   - With signal the answer comes back at once: the name (to catch typos), already told, not on
     this box's register, or why the number is not one. A number that is not even shaped like one
     (letters in the number) is refused here and never queued.
   - The entries carry the page's signed download token (the server's time), which is what lets a
     teller's numbers in after their access ends, within the bounded late-entry window. */
(function () {
  "use strict";

  const root = document.getElementById("telling");
  if (!root) return;
  const { openDb, el, newUuid, plural, clock, Sender, cacheThisPage, registerWorker, clockNote } =
    window.LabourHubOffline;
  const CACHE = "lh-telling-v1";
  const ELECTION = Number(root.dataset.election);
  const BOX = Number(root.dataset.box);
  const UNDO_LAST = Number(root.dataset.undoLast);
  const SHOWN = 12;
  const EXAMPLES = "e.g. 888, 888/8 or AB1-888";
  // As gotv/poll_numbers.py: an optional district prefix (with a letter in it), the number, a suffix.
  const POLL_NUMBER = /^(?:((?=[A-Z0-9/.-]*[A-Z])[A-Z0-9][A-Z0-9/.-]*?)\s*[-\s]\s*)?(\d+)(?:\s*[/.]\s*(\d+))?$/;
  const STORED = new Set(["found", "already_told", "duplicate", "undone", "already_undone", "recorded"]);

  const input = document.getElementById("number");
  const answer = document.getElementById("answer");
  const counter = document.getElementById("queue-count");
  const receipt = document.getElementById("receipt");
  const list = document.getElementById("entries");
  const ready = { worker: false, page: false };
  let lastSeq = 0;
  let latest = null; // uuid of the entry the answer line is about

  const db = openDb("labourhub-telling", 1, { queue: { keyPath: "uuid", indexes: ["state"] } });
  const mine = (r) => r.election === ELECTION && r.box === BOX;
  const bySeq = (a, b) => a.seq - b.seq;

  function nextSeq() {
    lastSeq = Math.max(Date.now(), lastSeq + 1);
    return lastSeq;
  }

  // --- Checking a number before it is queued ----------------------------------------------------
  function check(raw) {
    const text = raw.replace(/\u00a0/g, " ").trim().replace(/\s+/g, " ").toUpperCase();
    if (!text) return { error: `Type the number from the poll card, ${EXAMPLES}.` };
    if (text.length > 40) return { error: `Too long for a poll number (${EXAMPLES}).` };
    const match = POLL_NUMBER.exec(text);
    if (!match) {
      const tail = text.split("-").pop();
      const lettersInNumber = /[A-Z]/.test(tail) && /\d/.test(tail) && (text.includes("-") || /^\d/.test(text));
      return { error: lettersInNumber ? `${text} has letters in the number: ${EXAMPLES}.` : `${text} is not a poll number: ${EXAMPLES}.` };
    }
    const number = Number(match[2]);
    if (number < 1 || number > 99999) return { error: `${text}: poll numbers run from 1 to 99999.` };
    return { text };
  }

  // --- Screen ------------------------------------------------------------------------------------
  function say(text, kind) {
    answer.textContent = text;
    answer.dataset.kind = kind || "";
  }

  function describe(record) {
    const label = record.number || record.typed;
    if (record.state === "waiting" && record.status !== "wait") return `${label}: saved on this phone, waiting to send.`;
    switch (record.status) {
      case "found": return `✓ ${label} ${record.name}`;
      case "already_told": return `${label} ${record.name}: already told.`;
      case "duplicate": return `✓ ${label} ${record.name || ""}`.trim();
      case "wait": return `${label}: waiting to send.`;
      default: return record.message || `${label}: ${record.status}`;
    }
  }

  function kindOf(record) {
    if (record.state === "waiting") return "waiting";
    if (record.status === "already_told") return "told";
    return STORED.has(record.status) ? "ok" : "bad";
  }

  async function refresh() {
    const records = (await db.all("queue")).sort(bySeq);
    const waiting = records.filter((r) => r.state === "waiting");
    counter.dataset.waiting = String(waiting.length);
    counter.classList.toggle("waiting", waiting.length > 0);
    counter.textContent = waiting.length
      ? `${plural(waiting.length, "entry", "entries")} waiting to send` + (navigator.onLine ? "" : " (no signal)")
      : "All sent: nothing waiting";
    const tellings = records.filter((r) => r.kind === "telling" && mine(r));
    const undone = new Set(records.filter((r) => r.kind === "undo").map((r) => r.target));
    const undoable = new Set(
      tellings.filter((r) => r.state !== "rejected").slice(-UNDO_LAST).map((r) => r.uuid));
    list.replaceChildren(...tellings.slice(-SHOWN).reverse().map((record) => {
      const isUndone = undone.has(record.uuid);
      return el("li", { class: `entry ${isUndone ? "undone" : kindOf(record)}`, "data-uuid": record.uuid,
        "data-status": isUndone ? "undone" : (record.state === "waiting" ? "waiting" : record.status) },
      el("span", { class: "entry-text", text: isUndone ? `${record.number || record.typed}: undone` : describe(record) }),
      undoable.has(record.uuid) && !isUndone
        ? el("button", { type: "button", class: "secondary undo", onclick: () => undo(record) }, "Undo")
        : null);
    }));
    if (latest) {
      const record = records.find((r) => r.uuid === latest);
      if (record) say(describe(record), kindOf(record));
    }
    root.dataset.entries = String(tellings.length);
    return records;
  }

  function markReady(part) {
    ready[part] = true;
    if (ready.worker && ready.page) {
      document.getElementById("offline-ready").textContent = "Ready to work offline.";
      root.dataset.offlineReady = "true";
    }
  }

  // --- Sending -----------------------------------------------------------------------------------
  function wire(record) {
    const sent = { uuid: record.uuid, kind: record.kind, election: record.election, download: record.download };
    ["box", "number", "recorded_at", "target", "ballots_issued", "votes", "party", "label"].forEach((key) => {
      if (record[key] !== undefined) sent[key] = record[key];
    });
    if (record.kind === "telling") sent.number = record.typed;
    return sent;
  }

  const sender = Sender({
    db, store: "queue", url: root.dataset.syncUrl, key: "entries", wire, order: bySeq, batchSize: 100,
    settle(record, result) {
      record.status = result.status;
      record.message = result.message;
      if (result.name) record.name = result.name;
      if (result.number) record.number = result.number;
      record.state = !result.final ? "waiting" : (STORED.has(result.status) ? "sent" : "rejected");
    },
    onSent(settled) {
      if (settled) receipt.textContent = `Sent ${plural(settled, "entry", "entries")} at ${clock(new Date())}: safe on the server.`;
    },
    onError(message, signedOut, backoff) {
      if (signedOut) {
        receipt.textContent = "Sign in again to send your numbers. They are safe on this phone. ";
        receipt.append(el("a", { href: root.dataset.loginUrl, text: "Sign in" }));
      } else {
        receipt.textContent = `Could not send yet (${message}); trying again in ${Math.round(backoff / 1000)} s.`;
      }
    },
    after: refresh,
  });

  async function queue(fields) {
    const record = Object.assign({
      uuid: newUuid(), seq: nextSeq(), election: ELECTION, download: root.dataset.download,
      recorded_at: new Date().toISOString(), state: "waiting",
    }, fields);
    await db.put("queue", record); // on the phone before anything else happens
    return record;
  }

  // --- Entering numbers --------------------------------------------------------------------------
  async function enter() {
    const checked = check(input.value);
    if (checked.error) { latest = null; say(checked.error, "bad"); input.focus(); return; }
    // Clear the box before waiting on IndexedDB: a number typed meanwhile must not be wiped.
    input.value = "";
    input.focus();
    let record;
    try {
      record = await queue({ kind: "telling", box: BOX, typed: checked.text });
    } catch (error) {
      if (!input.value) input.value = checked.text;
      say(`${checked.text}: not saved on this phone (${error.message}); press Enter again.`, "bad");
      return;
    }
    latest = record.uuid;
    await refresh();
    sender.syncNow();
  }

  async function undo(record) {
    await queue({ kind: "undo", target: record.uuid });
    latest = null;
    say(`${record.number || record.typed}: undone.`, "ok");
    await refresh();
    sender.syncNow();
  }

  function press(key) {
    if (key === "back") input.value = input.value.slice(0, -1);
    else input.value += key;
  }

  document.getElementById("keypad-form").addEventListener("submit", (event) => { event.preventDefault(); enter(); });
  root.querySelectorAll("button.key[data-key]").forEach((button) => {
    button.addEventListener("click", () => press(button.dataset.key));
  });
  const toggle = document.getElementById("letters-toggle");
  toggle.addEventListener("click", () => {
    const letters = document.getElementById("letters");
    letters.hidden = !letters.hidden;
    toggle.setAttribute("aria-expanded", String(!letters.hidden));
  });

  // --- Search by name or address (needs signal) ----------------------------------------------------
  document.getElementById("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = document.getElementById("search-note");
    const results = document.getElementById("search-results");
    results.replaceChildren();
    if (!navigator.onLine) { note.textContent = "Searching needs signal: write the name down and enter it later."; return; }
    const q = event.target.elements.q.value.trim();
    note.textContent = "Searching…";
    try {
      const response = await fetch(`${root.dataset.searchUrl}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok || body.error) { note.textContent = body.error || `The server said ${response.status}.`; return; }
      note.textContent = body.results.length
        ? `${plural(body.results.length, "match", "matches")}${body.more ? " (more: add a word)" : ""}.`
        : "Nobody on this box's register matches.";
      results.replaceChildren(...body.results.map((found) => el("li", { class: "search-result" },
        el("span", { text: `${found.number} ${found.name}, ${found.address}` }),
        el("button", { type: "button", class: "secondary", onclick: () => { input.value = found.number; enter(); } }, "Tell"))));
    } catch (error) { note.textContent = "No signal: try again in a moment."; }
  });

  // --- The agent's counts ------------------------------------------------------------------------
  function whole(value) { return /^\d+$/.test(value.trim()) ? Number(value.trim()) : null; }

  document.getElementById("turnout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = document.getElementById("count-note");
    const issued = whole(event.target.elements.ballots_issued.value);
    if (issued === null) { note.textContent = "Ballot papers issued: type a whole number."; return; }
    await queue({ kind: "turnout", box: BOX, ballots_issued: issued });
    event.target.reset();
    note.textContent = `Saved: ${issued} ballot papers issued at ${clock(new Date())}.`;
    await refresh();
    sender.syncNow();
  });

  document.getElementById("warp-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = document.getElementById("count-note");
    const form = event.target.elements;
    const votes = whole(form.votes.value);
    if (votes === null) { note.textContent = "WARP votes: type a whole number."; return; }
    if (!form.party.value && !form.label.value.trim()) { note.textContent = "WARP: say which candidate."; return; }
    await queue({ kind: "warp", box: BOX, votes, party: form.party.value, label: form.label.value.trim() });
    form.votes.value = "";
    note.textContent = `Saved: ${votes} for ${form.party.value || form.label.value.trim()}.`;
    await refresh();
    sender.syncNow();
  });

  // --- Start-up ----------------------------------------------------------------------------------
  async function start() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    registerWorker(root.dataset.swUrl, root.dataset.swScope, () => markReady("worker"));
    if (await cacheThisPage(CACHE)) markReady("page");
    const text = await clockNote(root.dataset.pingUrl);
    const note = document.getElementById("clock");
    note.hidden = !text;
    note.textContent = text;
    await refresh();
    sender.syncNow();
  }

  start();
})();
