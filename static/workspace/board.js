// Perch live board: pushes on /ws/board/ (the `supervisors` group, through live_socket.js) become htmx events that
// make the panels re-fetch themselves; after a reconnect or a missed push every panel re-fetches ("board:resync").
// Account alerts also show as a banner. Waiting times tick locally.
(function () {
  "use strict";
  function trigger(name, detail) {
    htmx.trigger(document.body, name, detail || {});
  }

  function alertBanner(event) {
    const box = document.getElementById("board-alerts");
    if (!box) return;
    const text = {
      "account.needs_reconnect": (event.account || "An X account") + " needs reconnecting: X refused its token.",
      "account.silent": event.message || (event.account || "An X account") + " has gone silent.",
      "account.access_lowered": event.message || (event.account || "An X account") + ": X refused a call as not in its access.",
      "account.recovered": (event.account || "An X account") + " receives events again.",
      "account.spend": event.message || (event.account || "An X account") + " is near its monthly X spend cap.",
    }[event.type];
    if (!text) return;
    const item = document.createElement("p");
    item.className = "board-alert";
    item.dataset.kind = event.type;
    item.textContent = text; // account names come from the database: text, never HTML
    const close = document.createElement("button");
    close.type = "button";
    close.className = "board-alert-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.append(close);
    box.prepend(item);
  }

  window.perchLiveSocket(function (event) {
    if (event.type === "board.changed") trigger("board:changed", event);
    if (event.type.indexOf("account.") === 0) {
      alertBanner(event);
      trigger("board:account", event);
    }
  }, function () {
    trigger("board:resync");
  });

  // Waiting times tick every second between refreshes.
  function formatSeconds(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + String(seconds % 60).padStart(2, "0") + " s";
    return Math.floor(seconds / 3600) + " h " + String(Math.floor((seconds % 3600) / 60)).padStart(2, "0") + " min";
  }
  setInterval(function () {
    const now = Math.floor(Date.now() / 1000);
    document.querySelectorAll("[data-since]").forEach(function (cell) {
      const since = Number(cell.dataset.since);
      if (since) cell.textContent = formatSeconds(Math.max(0, now - since));
    });
  }, 1000);
})();
