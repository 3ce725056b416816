// Perch workspace: pushes from the live socket (live_socket.js) become htmx events ("perch:<type>") that make
// partials re-fetch themselves; after a reconnect or a missed push every live partial re-fetches ("perch:resync").
// Also: offer countdowns and desktop notifications.
(function () {
  "use strict";
  window.perchLiveSocket(function (event) {
    if (event.type === "contact.replied") showReplied(event);
    htmx.trigger(document.body, "perch:" + event.type, event);
    // The partials of one interaction listen to its own events ("perch:message.created:12"): htmx's event filters
    // ([detail.interaction_id==12]) would need eval, which the CSP forbids.
    if (event.interaction_id) htmx.trigger(document.body, "perch:" + event.type + ":" + event.interaction_id, event);
  }, function () {
    htmx.trigger(document.body, "perch:resync", {});
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

  // Each offer is announced once, however often the offers re-render (the swap replaces #offers entirely, so the
  // new toasts are looked up in the document, not in the swapped-out element).
  const announced = new Set();
  document.addEventListener("htmx:afterSwap", function () {
    tickCountdowns();
    document.querySelectorAll("#offers .toast[data-offer-id]").forEach(function (toast) {
      if (announced.has(toast.dataset.offerId)) return;
      announced.add(toast.dataset.offerId);
      // FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE: plain text's <bdi>, so a name cannot reorder the text.
      notify(toast.dataset.notifyTitle, "\u2068" + toast.dataset.notifyName + "\u2069: " + toast.dataset.notifyText);
    });
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

  // A supervisor took the open interaction away (reassign, requeue): its notice arrives in the taken slot. The
  // view stays, locked, so the agent can still copy a draft; parts that refresh themselves later stay locked too.
  function lockTaken(article) {
    article.dataset.taken = "1";
    article.querySelectorAll("button, select, input").forEach(function (el) { el.disabled = true; });
    article.querySelectorAll("textarea").forEach(function (el) { el.readOnly = true; });
  }
  document.addEventListener("htmx:afterSwap", function (evt) {
    const article = evt.target.closest && evt.target.closest("article.interaction");
    if (!article) return;
    if (evt.target.matches(".taken-slot") && evt.target.querySelector(".taken-notice")) lockTaken(article);
    else if (article.dataset.taken) lockTaken(article);
  });

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
