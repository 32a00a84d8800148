// kura dashboard: two small behaviours on top of htmx, no framework.
// 1. Countdowns tick down each second from the chain time the server drew them at; when one reaches its
//    deadline the panels reload (the escrow's phase changes without a chain event).
// 2. A confirmation or result swapped into the dialog region takes the keyboard focus.
(function () {
  "use strict";
  var drawnAt = new WeakMap();

  // The same words as kura.dashboard.formatting.duration: the largest unit, and the next one down if not zero.
  function words(seconds) {
    var units = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]], rest = Math.max(0, seconds), i = 0;
    while (rest < units[i][1] && units[i][1] > 1) { i++; }
    var text = Math.floor(rest / units[i][1]) + " " + units[i][0];
    if (i + 1 < units.length && Math.floor((rest % units[i][1]) / units[i + 1][1]) > 0) {
      text += " " + Math.floor((rest % units[i][1]) / units[i + 1][1]) + " " + units[i + 1][0];
    }
    return text;
  }

  function tick() {
    var expired = false;
    document.querySelectorAll("time[data-deadline]").forEach(function (el) {
      if (!drawnAt.has(el)) { drawnAt.set(el, Date.now()); }
      var now = Number(el.dataset.now) + (Date.now() - drawnAt.get(el)) / 1000;
      var left = Math.floor(Number(el.dataset.deadline) - now);
      if (left > 0) {
        el.textContent = words(left) + " left";
      } else if (!el.dataset.expired) {
        el.dataset.expired = "1";
        el.textContent = "deadline passed";
        expired = true;
      }
    });
    if (expired && window.htmx) { window.htmx.trigger(document.body, "chain"); }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "dialog") {
      var focus = event.detail.target.querySelector("[data-focus]");
      if (focus) { focus.focus(); }
    }
  });
  setInterval(tick, 1000);
})();
