// The ICO's 72-hour clock of each breach on the page, counted down live (every 30 seconds) from the
// deadline the server wrote in data-deadline; the server's text is what shows without JavaScript.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function when(date) {
    return date.getDate() + "/" + pad(date.getMonth() + 1) + "/" + date.getFullYear() + " " + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function tick() {
    document.querySelectorAll(".breach-clock[data-deadline]").forEach(function (el) {
      var deadline = new Date(el.dataset.deadline);
      var ms = deadline - Date.now();
      if (isNaN(ms)) return;
      if (ms < 0) {
        el.innerHTML = "<strong>overdue</strong>: the 72 hours ended " + when(deadline);
        return;
      }
      var hours = Math.floor(ms / 3600000);
      var minutes = Math.floor((ms % 3600000) / 60000);
      el.textContent = hours + " h " + pad(minutes) + " min left, until " + when(deadline);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
