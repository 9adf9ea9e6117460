/* The pack's map (issue 14, item 11): every door a marker, done or not, and it opens offline.
   - The doors come from the pack the phone keeps in IndexedDB (the canvassing page's database,
     static/campaigns/canvass.js); opened with signal, the page downloads the pack again first.
   - Doors sharing a postcode's point are already spread round it in street order by the server
     (campaigns/door_map.py, sent as each door's "m"); each shared point shows its count.
   - A door is done when the server has an answer for it in this pack (the pack's "done", from any
     phone) or this phone has recorded one (waiting to send, or sent since the download).
   - Map tiles come from MAP_TILE_URL when one is set and there is signal; otherwise the doors show
     on a plain background. */
(function () {
  "use strict";

  const root = document.getElementById("door-map-page");
  if (!root) return;
  const { el, plural, clock, cacheThisPage, registerWorker } = window.LabourHubOffline; // static/offline/queue.js
  const PACK = Number(root.dataset.pack);
  const CACHE = "lh-canvass-v1"; // the canvassing pages' service-worker cache
  const TILES = root.dataset.tiles || "";
  const holder = document.getElementById("map");
  const statusLine = document.getElementById("map-status");
  const note = document.getElementById("map-note");
  const list = document.getElementById("door-list");
  const ready = { worker: false, page: false, data: false };

  const STATUS_TEXT = {
    todo: "not done yet",
    waiting: "done on this phone, waiting to send",
    done: "done",
  };

  // --- The canvassing page's IndexedDB ----------------------------------------------------------
  /* Opened at whatever version it has, so a newer canvassing page's database opens here too. Only
     when there is none yet is it created, with the two stores canvass.js creates. */
  function openCanvassDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("labourhub-canvass");
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("packs")) db.createObjectStore("packs");
        if (!db.objectStoreNames.contains("queue")) {
          db.createObjectStore("queue", { keyPath: "uuid" }).createIndex("state", "state");
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close(); // let the canvassing page upgrade it
        resolve(db);
      };
      request.onerror = () => reject(request.error);
    });
  }

  function run(db, store, mode, operation) {
    if (!db.objectStoreNames.contains(store)) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const request = operation(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  // --- Data -------------------------------------------------------------------------------------
  async function loadPack(db) {
    if (navigator.onLine) {
      try {
        const response = await fetch(root.dataset.dataUrl, { credentials: "same-origin" });
        if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
          const pack = await response.json();
          await run(db, "packs", "readwrite", (s) => s.put(pack, PACK)); // as canvass.js keeps it
          return { pack, fresh: true };
        }
        if (response.status === 403 || response.status === 404) {
          await run(db, "packs", "readwrite", (s) => s.delete(PACK)); // closed to this person now
          return { pack: null, closed: true };
        }
      } catch (error) { /* no signal after all: use the copy on the phone */ }
    }
    return { pack: (await run(db, "packs", "readonly", (s) => s.get(PACK))) || null, fresh: false };
  }

  async function doorStates(db, pack) {
    const records = ((await run(db, "queue", "readonly", (s) => s.getAll())) || [])
      .filter((r) => r.pack === PACK);
    const waiting = new Set(records.filter((r) => r.state === "waiting").map((r) => r.door));
    const sent = new Set(records.filter((r) => r.state === "sent").map((r) => r.door));
    const done = new Set(pack.done || []);
    return pack.doors.map((door) => {
      if (done.has(door.id) || sent.has(door.id)) return "done";
      return waiting.has(door.id) ? "waiting" : "todo";
    });
  }

  // --- Drawing ----------------------------------------------------------------------------------
  /* Two ways of drawing the doors, by zoom: "full" (each door a numbered pin to tap, once the doors
     of a postcode are at least PIN_GAP px apart) and "compact" (each door a small dot, still shaped
     and coloured by its state, with the postcode's count to tap to zoom in), so a pin never covers
     another pin. Every door is drawn in both. */
  const PIN_GAP = 26;
  let map = null;
  let layer = null;
  let fitted = false;
  let mode = null;
  let minGap = Infinity; // metres between the two closest doors
  let drawn = null; // {pack, states}
  const markers = [];

  function metresPerPixel() {
    const lat = map.getCenter().lat * Math.PI / 180;
    return 40075016.686 * Math.cos(lat) / Math.pow(2, map.getZoom() + 8);
  }

  function pinMode() {
    if (map.getZoom() >= 19) return "full";
    return minGap / metresPerPixel() >= PIN_GAP ? "full" : "compact";
  }

  /* How close doors are: the distance to its nearest door that nine doors in ten have at least
     (a single pair of nearly touching doors does not keep the whole map in dots). */
  function closestDoors(pack) {
    const spots = pack.doors.filter((door) => door.m).map((door) => L.latLng(door.m));
    const nearest = spots.map((spot, i) => spots.reduce(
      (best, other, j) => (i === j ? best : Math.min(best, spot.distanceTo(other))), Infinity));
    nearest.sort((a, b) => a - b);
    return nearest.length ? nearest[Math.floor(nearest.length / 10)] : Infinity;
  }

  function placeLabel(place, done) {
    const radius = place.r + 8;
    const circle = L.circle(place.ll, {
      radius, color: "#44546a", weight: 1, dashArray: "3 4", fill: false, interactive: false,
    }).addTo(layer);
    const top = [place.ll[0] + radius / 111320, place.ll[1]];
    const text = `${Number(place.doors)} doors at ${place.pc || "one point"}, ${done} done: show them`;
    const label = L.marker(top, {
      icon: L.divIcon({ className: "place-label", html: `${Number(place.doors)} doors`, iconSize: [84, 24], iconAnchor: [42, 28] }),
      title: text, keyboard: true,
    }).on("click", () => map.fitBounds(circle.getBounds(), { maxZoom: 19 }));
    label.on("add", () => label.getElement().setAttribute("aria-label", text));
    label.addTo(layer);
    return top;
  }

  function doorMarker(door, index, state) {
    const label = `${index + 1}. ${door.a}, ${door.pc}: ${STATUS_TEXT[state]}`;
    const full = mode === "full";
    const marker = L.marker(door.m, {
      icon: L.divIcon({
        className: `door-pin door-${state}${full ? "" : " door-small"}`,
        html: full ? `<span class="pin-n">${Number(index + 1)}</span>` : "",
        iconSize: full ? [26, 26] : [12, 12],
      }),
      title: full ? label : "", keyboard: full, interactive: full, riseOnHover: true,
    });
    if (full) {
      marker.bindPopup(el("span", {}, el("strong", { text: `${index + 1}. ${door.a}` }), el("br"),
        `${door.pc} · ${plural(door.e.length, "person", "people")} · ${STATUS_TEXT[state]}`));
    }
    marker.on("add", () => { // the icon exists once the map has a view
      const icon = marker.getElement();
      if (full) icon.setAttribute("aria-label", label);
      icon.dataset.door = String(door.id);
      icon.dataset.state = state;
    });
    return marker.addTo(layer);
  }

  function render() {
    const { pack, states } = drawn;
    mode = pinMode();
    holder.dataset.mode = mode;
    layer.clearLayers();
    markers.length = 0;
    const done = new Map();
    pack.doors.forEach((door, index) => {
      if (!door.m || states[index] === "todo") return;
      const point = `${door.ll[0]},${door.ll[1]}`;
      done.set(point, (done.get(point) || 0) + 1);
    });
    (pack.places || []).forEach((place) => placeLabel(place, done.get(`${place.ll[0]},${place.ll[1]}`) || 0));
    pack.doors.forEach((door, index) => {
      if (door.m) markers[index] = doorMarker(door, index, states[index]);
    });
  }

  function drawMap(pack, states) {
    if (!window.L) { holder.hidden = true; return; }
    const points = pack.doors.filter((door) => door.m).map((door) => door.m);
    holder.hidden = !points.length;
    if (!points.length) return;
    if (!map) {
      map = L.map(holder, { scrollWheelZoom: false, maxZoom: 20 });
      if (TILES) {
        L.tileLayer(TILES, { maxZoom: 19, attribution: "Map data © OpenStreetMap contributors" }).addTo(map);
      }
      layer = L.layerGroup().addTo(map);
      map.on("zoomend", () => { if (drawn && pinMode() !== mode) render(); });
    }
    minGap = closestDoors(pack);
    if (!fitted) {
      const tops = (pack.places || []).map((place) => [place.ll[0] + (place.r + 8) / 111320, place.ll[1]]);
      map.fitBounds(points.concat(tops), { padding: [32, 32], maxZoom: 19 });
      fitted = true;
    }
    drawn = { pack, states };
    render();
  }

  function drawList(pack, states) {
    list.replaceChildren(...pack.doors.map((door, index) => {
      const state = states[index];
      const where = door.m ? null : el("span", { class: "muted", text: " (no known location: not on the map)" });
      const name = markers[index]
        ? el("button", {
          type: "button", class: "link-button",
          onclick: () => {
            map.setView(door.m, Math.max(map.getZoom(), 19), { animate: false }); // pins, not dots
            markers[index].openPopup();
            holder.scrollIntoView({ block: "center" });
          },
        }, door.a)
        : el("span", { text: door.a });
      return el("li", { class: `door-item door-${state}`, "data-door": door.id, "data-state": state },
        name, ` ${door.pc} · `, el("strong", { text: STATUS_TEXT[state] }), where);
    }));
  }

  function describe(pack, states, fresh) {
    const done = states.filter((s) => s !== "todo").length;
    const waiting = states.filter((s) => s === "waiting").length;
    statusLine.textContent = `${done} of ${plural(pack.doors.length, "door", "doors")} done` +
      (waiting ? ` (${waiting} waiting to send from this phone).` : ".");
    const notes = [];
    if (!fresh) {
      const at = pack.at ? ` (downloaded ${clock(new Date(pack.at))})` : "";
      notes.push(`No signal: showing the doors kept on this phone${at}; doors done elsewhere since then are not shown.`);
    }
    if (!TILES) notes.push("No map tile server is set up here: the doors show on a plain background.");
    else if (!navigator.onLine) notes.push("Map tiles need signal: the doors show on a plain background until it returns.");
    if (!pack.doors.some((door) => door.m)) notes.push("None of these doors has a known location yet.");
    note.textContent = notes.join(" ");
  }

  function markReady(part) {
    ready[part] = true;
    if (ready.worker && ready.page && ready.data) root.dataset.offlineReady = "true";
  }

  // --- Start-up ---------------------------------------------------------------------------------
  let db = null;
  let current = null;

  async function refresh(download) {
    const loaded = download ? await loadPack(db) : { pack: current && current.pack, fresh: current && current.fresh };
    if (!loaded.pack) {
      statusLine.textContent = loaded.closed
        ? "This pack is no longer open to you."
        : "This pack is not on this phone: open it once where there is signal.";
      list.replaceChildren();
      holder.hidden = true;
      return;
    }
    current = loaded;
    const states = await doorStates(db, loaded.pack);
    drawMap(loaded.pack, states);
    drawList(loaded.pack, states);
    describe(loaded.pack, states, loaded.fresh && navigator.onLine);
    root.dataset.ready = "true";
    markReady("data");
  }

  async function start() {
    registerWorker(root.dataset.swUrl, root.dataset.swScope, () => markReady("worker"));
    if (await cacheThisPage(CACHE)) markReady("page");
    try {
      db = await openCanvassDb();
    } catch (error) {
      statusLine.textContent = "This browser cannot keep the pack (storage is off), so the map cannot show it.";
      return;
    }
    await refresh(true);
  }

  window.addEventListener("online", () => { if (db) refresh(true); });
  window.addEventListener("offline", () => { if (db && current) refresh(false); });
  // Answers recorded on the canvassing page (another tab) show when this one is looked at again.
  document.addEventListener("visibilitychange", () => { if (!document.hidden && db && current) refresh(false); });
  start();
})();
