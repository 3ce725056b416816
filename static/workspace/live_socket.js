// Perch's live socket, shared by the agent workspace and the supervisors' live board. The htmx ws extension keeps
// the socket open (reconnecting with backoff); this turns its JSON pushes (a type, ids and a sequence number) into
// calls of `onEvent`. A push is only a hint: after a reconnect, or when a sequence number was missed, `onResync`
// runs and the page re-fetches what it shows from the database. Also: the heartbeat and the Live badge.
window.perchLiveSocket = function (onEvent, onResync) {
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

  function send(message) {
    if (socket) socket.send(JSON.stringify(message));
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    setLive("live", "Live");
    if (wasConnected) send({ type: "resync", since: lastSeq });
    wasConnected = true;
    clearInterval(heartbeat);
    heartbeat = setInterval(function () { send({ type: "ping" }); }, 20000);
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
      if (event.type === "resync" || (lastSeq !== null && event.seq !== lastSeq)) onResync();
      lastSeq = event.seq;
      return;
    }
    if (typeof event.seq === "number") {
      // A gap means a push was missed; numbers going back mean Redis restarted empty (they begin again at 1) or a
      // push came late. Either way the database decides; a rare extra resync costs only a re-fetch.
      if (lastSeq !== null && (event.seq > lastSeq + 1 || event.seq < lastSeq)) onResync();
      lastSeq = event.seq;
    }
    if (event.type) onEvent(event);
  });
};
