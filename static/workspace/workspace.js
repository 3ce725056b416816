// Perch workspace: turns websocket pushes (JSON with a type, ids and a sequence number) into htmx events that
// re-fetch partials. The push is only a hint: after a reconnect, or when a sequence number was missed, every
// live partial re-fetches itself ("perch:resync"). Also: heartbeat, offer countdowns, desktop notifications.
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

  function send(message) {
    if (socket) socket.send(JSON.stringify(message));
  }

  function resync() {
    htmx.trigger(document.body, "perch:resync", {});
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
      if (event.type === "resync" || (lastSeq !== null && event.seq !== lastSeq)) resync();
      lastSeq = event.seq;
      return;
    }
    if (typeof event.seq === "number") {
      // A gap means a push was missed; numbers going back mean Redis restarted empty (they begin again at 1) or a
      // push came late. Either way the database decides; a rare extra resync costs only a re-fetch.
      if (lastSeq !== null && (event.seq > lastSeq + 1 || event.seq < lastSeq)) resync();
      lastSeq = event.seq;
    }
    if (event.type === "contact.replied") showReplied(event);
    if (event.type) htmx.trigger(document.body, "perch:" + event.type, event);
  });

  // --- Offer countdowns and desktop notifications ---------------------------------------------------------
  function tickCountdowns() {
    const now = Date.now() / 1000;
    document.querySelectorAll(".toast[data-expires-at]").forEach(function (toast) {
      const left = Math.max(0, Math.round(Number(toast.dataset.expiresAt) - now));
      const label = toast.querySelector(".countdown");
      if (label) label.textContent = left + " s";
      toast.classList.toggle("urgent", left <= 10);
      if (left === 0 && !toast.dataset.gone) {
        toast.dataset.gone = "1";
        htmx.trigger(document.body, "perch:offers.changed", {});
      }
    });
  }
  setInterval(tickCountdowns, 1000);

  function notify(title, body, onClick) {
    if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return false;
    const note = new Notification(title, { body: body, tag: title + body });
    note.onclick = function () { window.focus(); if (onClick) onClick(); note.close(); };
    return true;
  }

  document.addEventListener("htmx:afterSwap", function (evt) {
    tickCountdowns();
    if (evt.detail.target && evt.detail.target.id === "offers") {
      evt.detail.target.querySelectorAll(".toast:not([data-notified])").forEach(function (toast) {
        toast.dataset.notified = "1";
        notify(toast.dataset.notifyTitle, toast.dataset.notifyBody);
      });
    }
  });

  function showReplied(event) {
    const box = document.getElementById("contact-replied");
    if (!box) return;
    // Show: the Communication tab on that contact (right_panel.js), where the agent can answer at once.
    const open = function () { window.perchOpenCommunication(event.contact_id); toast.remove(); };
    const toast = document.createElement("section");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    const text = document.createElement("p");
    text.className = "toast-text";
    text.textContent = "A contact assigned to you replied.";
    const show = document.createElement("button");
    show.type = "button";
    show.className = "button button-primary";
    show.textContent = "Show";
    show.addEventListener("click", open);
    toast.append(text, show);
    box.append(toast);
    notify("Your contact replied", "Open Perch to continue the conversation.", open);
  }

  // Pickers that apply on change (no inline handlers: the page runs under a strict Content-Security-Policy).
  document.addEventListener("change", function (evt) {
    if (evt.target.matches(".sentiment-picker select")) evt.target.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("enable-notifications");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false; // asked only when the agent clicks, never on page load
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  });
})();
