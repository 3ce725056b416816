// Perch live board: websocket pushes on /ws/board/ (the `supervisors` group) become htmx events that make the
// partials re-fetch themselves. A push is only a hint: after a reconnect, or when a sequence number was missed,
// every partial re-fetches ("board:resync"). Account alerts also show as a banner. Waiting times tick locally.
(function () {
  "use strict";
  let socket = null;
  let lastSeq = null;
  let wasConnected = false;
  let heartbeat = null;

  function setLive(state, text) {
    const badge = document.getElementById("live-status");
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function trigger(name, detail) {
    htmx.trigger(document.body, name, detail || {});
  }

  function alertBanner(event) {
    const box = document.getElementById("board-alerts");
    if (!box) return;
    const text = {
      "account.needs_reconnect": (event.account || "An X account") + " needs reconnecting: X refused its token.",
      "account.silent": event.message || (event.account || "An X account") + " has gone silent.",
      "account.recovered": (event.account || "An X account") + " receives events again.",
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

  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    setLive("live", "Live");
    if (wasConnected) socket.send(JSON.stringify({ type: "resync", since: lastSeq }));
    wasConnected = true;
    clearInterval(heartbeat);
    heartbeat = setInterval(function () { if (socket) socket.send(JSON.stringify({ type: "ping" })); }, 20000);
  });
  document.addEventListener("htmx:wsClose", function () {
    socket = null;
    clearInterval(heartbeat);
    setLive("offline", "Reconnecting…");
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    let event;
    try { event = JSON.parse(evt.detail.message); } catch (e) { return; }
    evt.preventDefault(); // JSON, not HTML: nothing for the ws extension to swap
    if (event.type === "hello" || event.type === "resync") {
      if (event.type === "resync" || (lastSeq !== null && event.seq !== lastSeq)) trigger("board:resync");
      lastSeq = event.seq;
      return;
    }
    if (typeof event.seq === "number") {
      // A gap means a push was missed; numbers going back mean Redis restarted empty (they begin again at 1) or a
      // push came late. Either way the database decides; a rare extra resync costs only a re-fetch.
      if (lastSeq !== null && (event.seq > lastSeq + 1 || event.seq < lastSeq)) trigger("board:resync");
      lastSeq = event.seq;
    }
    if (event.type === "board.changed") trigger("board:changed", event);
    if (event.type && event.type.indexOf("account.") === 0) {
      alertBanner(event);
      trigger("board:account", event);
    }
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
