// "typing…" under a chat while its customer types. X says so every few seconds while they type, and the server
// passes it on as a push (perch:contact.typing, never stored); the indicator goes `shownFor` seconds after the last
// one, and at once when a message of that chat arrives (perch:message.created) or the chat ends. It is kept per
// interaction, so a conversation re-fetched meanwhile (a delivery status changed) shows it again. Tests may shorten
// the time with window.perchTyping = { shownFor: seconds }.
(function () {
  "use strict";
  const shownFor = 1000 * Object.assign({ shownFor: 6 }, window.perchTyping || {}).shownFor;
  const until = new Map(); // interaction id → when its indicator goes (ms since 1970)
  const timers = new Map();
  const NEAR_BOTTOM = 80; // px, as chat_scroll.js: an agent reading the latest messages keeps them in view

  function scrollerOf(el) {
    for (let node = el.parentElement; node; node = node.parentElement) {
      if (node.scrollHeight > node.clientHeight && getComputedStyle(node).overflowY !== "visible") return node;
    }
    return null;
  }

  function render() {
    const now = Date.now();
    document.querySelectorAll("[data-typing-for]").forEach(function (el) {
      const end = until.get(el.dataset.typingFor);
      const shown = Boolean(end && end > now);
      if (el.hidden === !shown) return;
      const scroller = scrollerOf(el);
      const atBottom = scroller && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM;
      el.hidden = !shown;
      if (atBottom) scroller.scrollTop = scroller.scrollHeight;
    });
  }

  function stop(interactionId) {
    until.delete(interactionId);
    clearTimeout(timers.get(interactionId));
    timers.delete(interactionId);
    render();
  }

  document.addEventListener("perch:contact.typing", function (evt) {
    const id = String(evt.detail.interaction_id);
    until.set(id, Date.now() + shownFor);
    clearTimeout(timers.get(id));
    timers.set(id, setTimeout(function () { stop(id); }, shownFor));
    render();
  });
  ["perch:message.created", "perch:interaction.ended"].forEach(function (name) {
    document.addEventListener(name, function (evt) {
      if (evt.detail && evt.detail.interaction_id) stop(String(evt.detail.interaction_id));
    });
  });
  document.addEventListener("htmx:afterSettle", render);
})();
