// A DM transcript reads like any chat: it opens on the latest message, and when it is swapped in anew (a message
// arrived, a status changed) it stays at the bottom if the agent was there, or where the agent was reading.
// Tweet trees read from the root down and are left as they are.
(function () {
  "use strict";
  const NEAR_BOTTOM = 80; // px: "at the bottom" within this
  const kept = new Map(); // conversation id → scroll state before its swap

  function isChat(el) {
    return el.classList && el.classList.contains("conversation") && !el.querySelector(".tweet-tree");
  }

  // The element that scrolls depends on the layout: the conversation or its transcript; keep and restore both.
  function scrollers(conversation) {
    return [conversation].concat(Array.from(conversation.querySelectorAll(".transcript")));
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    const old = evt.detail.target;
    if (!old || !isChat(old)) return;
    kept.set(old.id, scrollers(old).map(function (el) {
      return { top: el.scrollTop, atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM };
    }));
  });

  function place(conversation) {
    const before = kept.get(conversation.id);
    kept.delete(conversation.id);
    scrollers(conversation).forEach(function (el, i) {
      const was = before && before[i];
      el.scrollTop = !was || was.atBottom ? el.scrollHeight : was.top;
    });
  }

  function placeNew() {
    document.querySelectorAll(".conversation:not([data-placed])").forEach(function (conversation) {
      conversation.dataset.placed = "1";
      if (isChat(conversation)) place(conversation);
    });
  }

  document.addEventListener("htmx:afterSwap", function (evt) {
    // A conversation refreshes its inside (hx-swap innerHTML): the same element, placed again from what it kept.
    const target = evt.detail.target;
    if (target && kept.has(target.id) && isChat(target)) place(target);
    placeNew();
  });
  document.addEventListener("htmx:afterSettle", placeNew);
  document.addEventListener("DOMContentLoaded", placeNew);
})();
