// A DM transcript reads like any chat: it opens on the latest message, and when it is swapped in anew (a message
// arrived, a status changed) it stays at the bottom if the agent was there, or where the agent was reading. An
// image that loads after that (the one just sent, say) makes the transcript taller: an agent who was at the bottom
// stays there, so the image and its status are in view. Tweet trees read from the root down and are left alone.
(function () {
  "use strict";
  const NEAR_BOTTOM = 80; // px: "at the bottom" within this
  const kept = new Map(); // conversation id → scroll state before its swap
  const pinned = new WeakMap(); // scroller → whether the agent was at the bottom when it last scrolled or was placed

  function isChat(el) {
    return el.classList && el.classList.contains("conversation") && !el.querySelector(".tweet-tree");
  }

  // The element that scrolls depends on the layout: the conversation or its transcript; keep and restore both.
  function scrollers(conversation) {
    return [conversation].concat(Array.from(conversation.querySelectorAll(".transcript")));
  }

  function atBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM;
  }

  // Measured when the agent scrolls, not when an image has already made the transcript taller.
  function wasAtBottom(el) {
    return pinned.has(el) ? pinned.get(el) : atBottom(el);
  }

  document.addEventListener("scroll", function (evt) {
    const el = evt.target;
    const conversation = el.closest && el.closest(".conversation");
    if (conversation && isChat(conversation)) pinned.set(el, atBottom(el));
  }, true);

  document.addEventListener("load", function (evt) {
    const conversation = evt.target.tagName === "IMG" && evt.target.closest(".conversation");
    if (!conversation || !isChat(conversation)) return;
    scrollers(conversation).forEach(function (el) {
      if (wasAtBottom(el)) el.scrollTop = el.scrollHeight;
    });
  }, true); // load does not bubble: listened for on the way down

  document.addEventListener("htmx:beforeSwap", function (evt) {
    const old = evt.detail.target;
    if (!old || !isChat(old)) return;
    kept.set(old.id, scrollers(old).map(function (el) {
      return { top: el.scrollTop, atBottom: wasAtBottom(el) };
    }));
  });

  function place(conversation) {
    const before = kept.get(conversation.id);
    kept.delete(conversation.id);
    scrollers(conversation).forEach(function (el, i) {
      const was = before && before[i];
      const bottom = !was || was.atBottom;
      el.scrollTop = bottom ? el.scrollHeight : was.top;
      pinned.set(el, bottom);
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
