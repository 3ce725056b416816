// Perch workspace: pushes from the live socket (live_socket.js) become htmx events ("perch:<type>") that make
// partials re-fetch themselves; after a reconnect or a missed push every live partial re-fetches ("perch:resync").
// Also: offer countdowns and desktop notifications, the list's times and open row, the right panel's transcript.
(function () {
  "use strict";
  window.perchLiveSocket(function (event) {
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
        // Its time is up: put it away now (the server may take a moment to say so), and ask for the list again.
        // The toast is kept across refreshes (hx-preserve), so it stays away until the server drops it.
        toast.dataset.gone = "1";
        toast.hidden = true;
        htmx.trigger(document.body, "perch:offers.changed", {});
      }
    });
  }
  setInterval(tickCountdowns, 1000);

  // Reject is the agent's last word on an offer: its toast goes at once, not when the list comes back, so a second
  // click in that moment cannot land on the Accept of an offer already declined.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    const form = evt.detail.elt;
    if (!form.matches || !form.matches(".toast form[data-offer-reject]")) return;
    const toast = form.closest(".toast");
    toast.dataset.gone = "1";
    toast.hidden = true;
  });

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

  // "… replied — Show" toasts come from the server (#contact-replied re-fetches itself when a notice is pushed or
  // cleared), so each names its contact. Show (a link) opens the Connect view on that contact and puts the toast
  // away in this tab; the server drops it for good once the conversation is taken or handled.
  const DISMISSED_KEY = "perch:replied-dismissed";
  function dismissed() {
    try { return JSON.parse(sessionStorage.getItem(DISMISSED_KEY)) || []; } catch (e) { return []; }
  }
  function dismiss(noticeId) {
    sessionStorage.setItem(DISMISSED_KEY, JSON.stringify(dismissed().concat([noticeId]).slice(-50)));
    document.querySelectorAll("#contact-replied .toast").forEach(function (toast) {
      if (toast.dataset.noticeId === noticeId) toast.remove();
    });
  }
  function showReplied(noticeId, contactId) {
    dismiss(noticeId);
    window.location.assign("/workspace/connect/?contact=" + encodeURIComponent(contactId));
  }
  document.addEventListener("click", function (evt) {
    const show = evt.target.closest("#contact-replied [data-show-replied]");
    if (show) dismiss(show.closest(".toast").dataset.noticeId); // the link goes on to the Connect view
  });
  const repliedAnnounced = new Set();
  let repliedSeen = false; // the toasts its first load brings were announced by the page before (a reload)
  document.addEventListener("htmx:afterSwap", function (evt) {
    const box = evt.detail.target;
    if (!box || box.id !== "contact-replied") return;
    const gone = dismissed();
    box.querySelectorAll(".toast[data-notice-id]").forEach(function (toast) {
      if (gone.includes(toast.dataset.noticeId)) { toast.remove(); return; }
      if (repliedAnnounced.has(toast.dataset.noticeId)) return;
      repliedAnnounced.add(toast.dataset.noticeId);
      if (!repliedSeen) return;
      const noticeId = toast.dataset.noticeId, contactId = toast.dataset.contactId;
      notify("\u2068" + toast.dataset.notifyName + "\u2069 replied", "Open Perch to continue the conversation.",
        function () { showReplied(noticeId, contactId); });
    });
    repliedSeen = true;
  });

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

  // --- My interactions: how long since each row's last message, the open row, the unread dot ------------------
  function since(seconds) {
    if (seconds < 60) return "now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " d";
  }
  function tickSince() {
    const now = Date.now() / 1000;
    document.querySelectorAll(".interaction-list time[data-since]").forEach(function (time) {
      time.textContent = since(Math.max(0, now - Number(time.dataset.since)));
    });
  }
  setInterval(tickSince, 15000);

  // The row of the interaction in the address bar is the open one (a click opens it before its URL is pushed).
  function markOpen(path) {
    document.querySelectorAll(".interaction-list a.interaction-item").forEach(function (row) {
      const open = new URL(row.href, location.href).pathname === path;
      if (open) {
        row.setAttribute("aria-current", "page");
        row.classList.remove("unread"); // on screen now: read (interactions.reading, as the view marks it)
        const dot = row.querySelector(".unread-dot");
        if (dot) dot.hidden = true;
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }
  document.addEventListener("click", function (evt) {
    const row = evt.target.closest && evt.target.closest(".interaction-list a.interaction-item");
    if (row && !evt.metaKey && !evt.ctrlKey && !evt.shiftKey) markOpen(new URL(row.href, location.href).pathname);
  });
  function listChanged() { tickSince(); markOpen(location.pathname); }
  document.addEventListener("htmx:pushedIntoHistory", listChanged);
  window.addEventListener("popstate", listChanged);
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "interaction-list") listChanged();
  });

  // --- The right panel's transcript reads like the chat: it opens at the latest line and stays there while the agent
  // is there (a push re-fetches it, an image loads, its tab is shown); "Older" at the top adds lines above what the
  // agent reads, which the browser's scroll anchoring keeps in place.
  const atLatest = new WeakMap(); // the element that scrolls → whether the agent was at its bottom
  function scrollerOf(el) {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowY;
      if (overflow === "auto" || overflow === "scroll") return node;
    }
    return null;
  }
  function toLatest(transcript) {
    const scroller = scrollerOf(transcript);
    if (scroller && atLatest.get(scroller) !== false) scroller.scrollTop = scroller.scrollHeight;
  }
  const resized = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { toLatest(entry.target); });
  }) : null;
  function watchTranscripts() {
    document.querySelectorAll(".history-transcript:not([data-watched])").forEach(function (transcript) {
      transcript.dataset.watched = "1";
      const scroller = scrollerOf(transcript);
      if (scroller) atLatest.set(scroller, true); // a contact just opened: at its latest line
      if (resized) resized.observe(transcript);
      toLatest(transcript);
    });
  }
  document.addEventListener("scroll", function (evt) {
    const el = evt.target;
    if (!el.querySelector || !el.querySelector(".history-transcript") && !el.matches(".history-transcript")) return;
    if (el.clientHeight) atLatest.set(el, el.scrollHeight - el.scrollTop - el.clientHeight < 40);
  }, true);
  document.addEventListener("htmx:afterSettle", watchTranscripts);

  document.addEventListener("DOMContentLoaded", function () {
    tickSince();
    watchTranscripts();
    const button = document.getElementById("enable-notifications");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false; // asked only when the agent clicks, never on page load
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  });
})();
