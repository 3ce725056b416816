// X's "progress circle" for any <textarea data-reply-ring>: counts with twitter-text (URLs 23, emoji and CJK 2),
// darkens as it fills, shows what is left in the last 20, turns yellow from 260 and red past 280 — and then, or
// when there is nothing to send, disables the form's Send. The server checks again; this only helps the agent.
(function () {
  "use strict";
  const LIMIT = 280;
  const WARN_AT = 260;
  const SHOW_COUNT_FROM = LIMIT - 20;
  const RADIUS = 10;
  const CIRCUMFERENCE = 2 * Math.PI * RADIUS;

  function weighted(text) {
    return window.twttr ? window.twttr.parseTweet(text).weightedLength : Array.from(text).length;
  }

  function update(textarea) {
    const form = textarea.form;
    const ring = form.querySelector(".reply-ring");
    const length = weighted(textarea.value);
    const state = length > LIMIT ? "over" : length >= WARN_AT ? "warning" : "ok";
    const fill = Math.min(length / LIMIT, 1);
    ring.dataset.state = state;
    ring.setAttribute("aria-valuenow", String(length));
    ring.setAttribute("aria-label", length + " of " + LIMIT + " characters");
    const arc = ring.querySelector(".ring-fill");
    arc.style.strokeDasharray = CIRCUMFERENCE;
    arc.style.strokeDashoffset = CIRCUMFERENCE * (1 - fill);
    arc.style.opacity = String(0.45 + 0.55 * fill); // darkens as it fills
    const count = ring.querySelector(".ring-count");
    count.textContent = length >= SHOW_COUNT_FROM ? String(LIMIT - length) : "";
    const empty = !textarea.value.trim() && form.dataset.hasImage !== "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = length > LIMIT || empty;
    });
  }

  function bind(root) {
    root.querySelectorAll("textarea[data-reply-ring]").forEach(function (textarea) {
      if (textarea.dataset.ringBound) return;
      textarea.dataset.ringBound = "1";
      textarea.addEventListener("input", function () { update(textarea); });
      update(textarea);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  // Partials swapped in by htmx bring new composers: bind them once everything has settled.
  document.addEventListener("htmx:afterSettle", function () { bind(document); });
  window.perchReplyRing = { update: update, bind: bind };
})();
