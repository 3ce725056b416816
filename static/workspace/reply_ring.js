// X's "progress circle" for any <textarea data-reply-ring>: counts with twitter-text (URLs 23, emoji and CJK 2),
// darkens as it fills, shows what is left in the last 20, turns yellow from 260 and red past 280 or when the text
// holds a character X refuses (twitter-text's `valid`: U+FFFE, U+FFFF, U+FEFF) — and then, or when there is nothing
// to send, or when X would refuse a public reply here (the form's data-public-refused), disables the form's Send. It counts what Perch sends: the agent's text, trimmed (X puts the reply's
// @mentions in front itself, and they do not count). The server applies the same rule (interactions/text.py).
(function () {
  "use strict";
  const LIMIT = 280;
  const WARN_AT = 260;
  const SHOW_COUNT_FROM = LIMIT - 20;
  const RADIUS = 10;
  const CIRCUMFERENCE = 2 * Math.PI * RADIUS;

  // What the server will send and count: trimmed as interactions/text.py's sendable() trims (JS_TRIMMED).
  function counted(text) {
    const sent = text.trim();
    if (!window.twttr) return { text: sent, length: Array.from(sent).length, valid: true };
    const parsed = window.twttr.parseTweet(sent);
    return { text: sent, length: parsed.weightedLength, valid: parsed.valid };
  }

  function update(textarea) {
    const form = textarea.form;
    const ring = form.querySelector(".reply-ring");
    const reply = counted(textarea.value);
    const length = reply.length;
    const empty = !reply.text && form.dataset.hasImage !== "true";
    // twitter-text calls an empty text invalid too; empty is "nothing to send", not a red ring.
    const refused = Boolean(reply.text) && !reply.valid && length <= LIMIT;
    const state = length > LIMIT ? "over" : refused ? "invalid" : length >= WARN_AT ? "warning" : "ok";
    const fill = Math.min(length / LIMIT, 1);
    ring.dataset.state = state;
    ring.setAttribute("aria-valuenow", String(length));
    ring.setAttribute("aria-label", length + " of " + LIMIT + " characters" +
      (refused ? ", with a character X does not accept" : ""));
    const arc = ring.querySelector(".ring-fill");
    arc.style.strokeDasharray = CIRCUMFERENCE;
    arc.style.strokeDashoffset = CIRCUMFERENCE * (1 - fill);
    arc.style.opacity = String(0.45 + 0.55 * fill); // darkens as it fills
    const count = ring.querySelector(".ring-count");
    count.textContent = length >= SHOW_COUNT_FROM ? String(LIMIT - length) : "";
    // data-public-refused: X would refuse a public reply to every tweet here (the server refuses it too).
    const publicRefused = form.dataset.publicRefused === "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = publicRefused || empty || (Boolean(reply.text) && !reply.valid);
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
  window.perchReplyRing = { update: update, bind: bind, counted: counted };
})();
