// Perch workspace: turns websocket pushes (JSON with a type and ids) into htmx events that re-fetch partials.
// The push is only a hint: after a reconnect every live partial re-fetches itself ("perch:resync").
(function () {
  "use strict";
  let wasConnected = false;

  function setLive(state, text) {
    const badge = document.getElementById("live-status");
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = text;
  }

  document.addEventListener("htmx:wsOpen", function () {
    setLive("live", "Live");
    if (wasConnected) htmx.trigger(document.body, "perch:resync", {});
    wasConnected = true;
  });
  document.addEventListener("htmx:wsClose", function () { setLive("offline", "Reconnecting…"); });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    let event;
    try { event = JSON.parse(evt.detail.message); } catch (e) { return; }
    evt.preventDefault(); // JSON, not HTML: nothing for the ws extension to swap
    if (event.type) htmx.trigger(document.body, "perch:" + event.type, event);
  });
})();
