/* Sign-out on a shared phone (issue 14, item 10): before the sign-out form goes, delete what the
   offline pages keep on this phone: the IndexedDB databases (packs' doors and people, queued
   entries) and the page caches ("lh-*": the knocker's pack page holds names). Answers still
   waiting to send are the only thing that could be lost, so the canvasser is told how many and
   asked first. Loaded on every page (templates/base.html) with the sign-out address. */
(function () {
  "use strict";

  const script = document.currentScript;
  const logoutPath = script && script.dataset.logout;
  const KNOWN = ["labourhub-canvass", "labourhub-telling", "labourhub-knockup"];
  const WAIT_MS = 3000; // never hold the sign-out longer than this

  async function databaseNames() {
    if (!("indexedDB" in window)) return [];
    if (indexedDB.databases) {
      try {
        return (await indexedDB.databases()).map((d) => d.name).filter((n) => n && n.startsWith("labourhub-"));
      } catch (error) { /* fall through to the names we know */ }
    }
    return KNOWN;
  }

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function waitingIn(name) {
    const db = await request(indexedDB.open(name));
    try {
      if (!db.objectStoreNames.contains("queue")) return 0;
      const records = await request(db.transaction("queue").objectStore("queue").getAll());
      return records.filter((r) => r.state === "waiting").length;
    } finally { db.close(); }
  }

  function deleteDatabase(name) {
    return new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(name); // open pages close theirs (queue.js onversionchange)
      req.onsuccess = req.onerror = () => resolve();
      setTimeout(resolve, WAIT_MS);
    });
  }

  async function wipe(names) {
    await Promise.all(names.map(deleteDatabase));
    if ("caches" in window) {
      const keys = await caches.keys();
      await Promise.all(keys.filter((k) => k.startsWith("lh-")).map((k) => caches.delete(k)));
    }
  }

  function signOutForms() {
    return Array.from(document.querySelectorAll("form")).filter(
      (form) => logoutPath && new URL(form.action, location.href).pathname === logoutPath);
  }

  signOutForms().forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.wiped) return;
      event.preventDefault();
      try {
        const names = await databaseNames();
        const counts = await Promise.all(names.map((n) => waitingIn(n).catch(() => 0)));
        const waiting = counts.reduce((a, b) => a + b, 0);
        if (waiting && !window.confirm(
          `${waiting === 1 ? "1 entry is" : `${waiting} entries are`} still waiting to send from this phone. ` +
          "Signing out deletes them from the phone. To send them first, cancel, open the page they " +
          "were made on where there is signal and wait for \"Nothing waiting\". Sign out and delete them?")) return;
        await wipe(names);
      } catch (error) { /* never stop someone signing out */ }
      form.dataset.wiped = "true";
      form.submit();
    });
  });
})();
