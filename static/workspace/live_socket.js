// Perch's live socket, shared by the agent workspace and the supervisors' live board. The htmx ws extension keeps
// the socket open (reconnecting with backoff); this turns its JSON pushes (a type, ids and a sequence number) into
// calls of `onEvent`. A push is only a hint: after a reconnect, or when a sequence number was missed, `onResync`
// runs and the page re-fetches what it shows from the database. Also: the heartbeat (which replaces a socket that
// died without closing) and the Live badge.
window.perchLiveSocket = function (onEvent, onResync) {
  "use strict";
  let socket = null;
  let lastSeq = null;
  let wasConnected = false;
  let heartbeat = null;
  let raw = null; // the WebSocket itself, under the ws extension's wrapper
  let lastPing = 0;
  let pingSentAt = null;
  // A socket can die without closing (a laptop resumed, a proxy dropped it): a ping unanswered for `within` ms means
  // it is dead, and it is replaced by a new one (then resynced). Tests may shorten both.
  const beat = Object.assign({ every: 20000, within: 10000 }, window.perchHeartbeat || {});

  function checkHeartbeat() {
    const now = Date.now();
    if (pingSentAt === null) {
      if (now - lastPing >= beat.every) {
        pingSentAt = lastPing = now;
        send({ type: "ping" });
      }
      return;
    }
    if (now - pingSentAt <= beat.within) return;
    clearInterval(heartbeat);
    setLive("offline", "Reconnecting…");
    raw.onclose = raw.onerror = null; // its close may come much later, or never: it must not count
    raw.close();
    socket.reconnect();
  }

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
    raw = evt.detail.event.target;
    setLive("live", "Live");
    if (wasConnected) send({ type: "resync", since: lastSeq });
    wasConnected = true;
    clearInterval(heartbeat);
    lastPing = Date.now();
    pingSentAt = null;
    heartbeat = setInterval(checkHeartbeat, Math.min(1000, beat.every, beat.within));
  });
  document.addEventListener("htmx:wsClose", function () {
    socket = null;
    clearInterval(heartbeat);
    setLive("offline", "Reconnecting…");
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    pingSentAt = null; // anything from the server shows the socket is alive
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
