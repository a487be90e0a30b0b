// The staff queue's live countdowns. Every 30 s each row with a deadline (data-due, and
// data-warn: when it turns "due soon") gets its "in 3 h 12 min" / "overdue by 25 min" text
// and its "due-soon" / "overdue" class and label recomputed, without reloading the page.
// The server renders all of it too, so the page is right without JavaScript; the wording
// comes from the table's data attributes (see app/queue/routes.py, countdown_words).
(function () {
  "use strict";
  var table = document.querySelector("table[data-countdown]");
  if (!table) { return; }
  var words = table.dataset;
  var PERIOD_MS = 30000;
  // Count by the server's clock: the browser's may be off, and the page was made at data-now.
  var skew = Date.parse(words.now) - Date.now();

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    minutes = minutes % 60;
    var text = days ? words.spanDays : hours ? words.spanHours : minutes ? words.spanMinutes : words.spanUnderMinute;
    return text.replace("{d}", days).replace("{h}", hours).replace("{m}", minutes);
  }

  function update() {
    var now = Date.now() + skew;
    table.querySelectorAll("tr[data-due]").forEach(function (row) {
      var due = Date.parse(row.dataset.due);
      var warn = Date.parse(row.dataset.warn);
      var state = now >= due ? "overdue" : now >= warn ? "due-soon" : "";
      row.classList.toggle("overdue", state === "overdue");
      row.classList.toggle("due-soon", state === "due-soon");
      var label = row.querySelector(".due-label");
      if (label) {
        label.textContent = state === "overdue" ? words.labelOverdue : state === "due-soon" ? words.labelDueSoon : "";
      }
      var countdown = row.querySelector(".countdown");
      if (countdown) {
        countdown.textContent = (now >= due ? words.past : words.future).replace("{span}", span(due - now));
      }
    });
    table.dataset.updated = new Date(now).toISOString();
  }

  update();
  window.setInterval(update, PERIOD_MS);
})();
