// The Connect view: the ☰ contact-information toggle (remembered in localStorage), the contacts drawer below
// 1280 px, the open contact marked in the lists, Reply and Reply by DM on a tweet (the composer says where the text
// goes), the notification preview, and the transcript's scroll: it opens on the latest message, stays at the bottom
// when something arrives if the agent was there, and "Older" adds the page above without moving what is in view.
// Enter sends, the emoji picker and the image preview are composer.js's.
(function () {
  "use strict";
  const CARD_HIDDEN_KEY = "perch:connect-card-hidden";
  const WIDE = window.matchMedia("(min-width: 1280px)");
  const NEAR_BOTTOM = 80; // px: "at the bottom" within this

  // --- The contact card: shown beside the transcript at 1280 px and wider unless the agent hid it; below, only
  // when the ☰ asks (over the transcript), and not remembered.
  function setCard(contact, shown) {
    contact.dataset.card = shown ? "shown" : "hidden";
    contact.querySelectorAll("[data-toggle-card]").forEach(function (button) {
      button.setAttribute("aria-expanded", shown ? "true" : "false");
    });
  }

  function placeCard() {
    document.querySelectorAll(".connect-contact").forEach(function (contact) {
      setCard(contact, WIDE.matches && localStorage.getItem(CARD_HIDDEN_KEY) !== "1");
    });
  }

  // --- The contacts drawer (below 1280 px, while a contact is open).
  function setDrawer(open) {
    const shell = document.querySelector(".connect-shell");
    if (!shell) return;
    shell.classList.toggle("contacts-open", open);
    document.querySelectorAll("[data-toggle-contacts]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // --- Reply and Reply by DM: the composer takes the tweet, and says where the text goes now.
  function composerOf(el) {
    const centre = el.closest(".connect-centre");
    return centre && centre.querySelector(".connect-composer");
  }

  function setMode(form, mode, tweetId, handle) {
    form.dataset.mode = mode;
    form.querySelector("input[name=mode]").value = mode;
    form.querySelector("input[name=tweet]").value = tweetId || "";
    form.querySelectorAll("[data-destination]").forEach(function (line) {
      line.hidden = line.dataset.destination !== (mode || "write");
      const who = line.querySelector("bdi");
      if (who && mode) who.textContent = "@" + handle; // customer text: set as text, isolated like the server's
    });
    form.querySelector("[data-connect-cancel]").hidden = !mode;
    const textarea = form.querySelector("textarea");
    textarea.placeholder = mode === "reply" ? "Write a public reply to @" + handle
      : mode === "dm" ? "Write a DM to @" + handle : textarea.dataset.placeholder || textarea.placeholder;
    document.querySelectorAll(".connect-transcript .is-answered").forEach(function (el) {
      el.classList.remove("is-answered");
    });
    if (tweetId) {
      const tweet = document.querySelector('.connect-transcript [data-message-id="' + tweetId + '"]');
      if (tweet) tweet.classList.add("is-answered");
    }
    textarea.focus();
  }

  document.addEventListener("click", function (evt) {
    const card = evt.target.closest("[data-toggle-card]");
    if (card) {
      const contact = card.closest(".connect-contact");
      const shown = contact.dataset.card !== "shown";
      setCard(contact, shown);
      if (WIDE.matches) localStorage.setItem(CARD_HIDDEN_KEY, shown ? "" : "1");
      return;
    }
    const drawer = evt.target.closest("[data-toggle-contacts]");
    if (drawer) {
      setDrawer(drawer.getAttribute("aria-expanded") !== "true");
      return;
    }
    if (evt.target.closest(".connect-left .contact-item")) setDrawer(false);
    const reply = evt.target.closest("[data-connect-reply], [data-connect-dm]");
    if (reply) {
      const form = composerOf(reply);
      if (!form) return;
      const dm = reply.hasAttribute("data-connect-dm");
      if (!form.querySelector("textarea").dataset.placeholder) {
        form.querySelector("textarea").dataset.placeholder = form.querySelector("textarea").placeholder;
      }
      setMode(form, dm ? "dm" : "reply", dm ? reply.dataset.connectDm : reply.dataset.connectReply, reply.dataset.replyHandle);
      return;
    }
    const cancel = evt.target.closest("[data-connect-cancel]");
    if (cancel) setMode(cancel.form, "", "", "");
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") setDrawer(false);
  });

  document.addEventListener("change", function (evt) {
    const picker = evt.target.closest && evt.target.closest("select[data-notify-preview]");
    if (!picker) return;
    const preview = document.getElementById(picker.dataset.notifyPreview);
    const option = picker.selectedOptions[0];
    preview.textContent = (option && option.dataset.preview) || "";
    preview.hidden = !preview.textContent;
  });

  // --- The open contact, marked in every list (the lists are not re-rendered when another contact opens).
  function markOpen() {
    const open = document.querySelector(".connect-contact[data-contact-id]");
    const id = open ? open.dataset.contactId : "";
    const shell = document.querySelector(".connect-shell");
    if (shell) shell.classList.toggle("has-contact", !!open);
    document.querySelectorAll(".connect-left .contact-item").forEach(function (item) {
      if (item.dataset.contactId === id) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    });
  }

  // --- The transcript's scroll.
  const pinned = new WeakMap(); // transcript → whether the agent was at the bottom when they last scrolled
  let kept = null; // how to place a transcript after the swap under way

  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM; }
  function toBottom(el) { el.scrollTop = el.scrollHeight; pinned.set(el, true); }

  document.addEventListener("scroll", function (evt) {
    const el = evt.target;
    if (el.matches && el.matches("[data-connect-transcript]")) pinned.set(el, atBottom(el));
  }, true);

  document.addEventListener("load", function (evt) { // an image made it taller: an agent at the bottom stays there
    const el = evt.target.tagName === "IMG" && evt.target.closest("[data-connect-transcript]");
    if (el && pinned.get(el) !== false) el.scrollTop = el.scrollHeight;
  }, true);

  document.addEventListener("htmx:beforeSwap", function (evt) {
    const target = evt.detail.target;
    const transcript = target && target.closest && target.closest("[data-connect-transcript]");
    if (!transcript) return;
    kept = target.matches("li.older")
      ? { transcript: transcript, fromBottom: transcript.scrollHeight - transcript.scrollTop }
      : { transcript: transcript, bottom: pinned.has(transcript) ? pinned.get(transcript) : atBottom(transcript),
          top: transcript.scrollTop };
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    const target = evt.detail.target;
    if (kept) {
      const el = kept.transcript;
      if ("fromBottom" in kept) el.scrollTop = el.scrollHeight - kept.fromBottom; // "Older" above: nothing moves
      else if (kept.bottom) toBottom(el);
      else el.scrollTop = kept.top;
      kept = null;
    }
    // Sent (the composer or the notification came back fresh): the new row is at the bottom; go there.
    if (target && target.matches && target.matches(".connect-composer, .connect-notify") && evt.detail.xhr.status < 300) {
      const el = document.querySelector("[data-connect-transcript]");
      if (el) toBottom(el);
    }
  });

  // The transcript got shorter or taller (the window resized, the composer grew): one at the bottom stays there.
  const resized = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      if (pinned.get(entry.target) !== false) entry.target.scrollTop = entry.target.scrollHeight;
    });
  }) : null;

  function placeNew() {
    document.querySelectorAll("[data-connect-transcript]:not([data-placed])").forEach(function (el) {
      el.dataset.placed = "1";
      toBottom(el);
      if (resized) resized.observe(el);
    });
    placeCardOnce();
    markOpen();
  }

  function placeCardOnce() {
    document.querySelectorAll(".connect-contact:not([data-card])").forEach(function (contact) {
      setCard(contact, WIDE.matches && localStorage.getItem(CARD_HIDDEN_KEY) !== "1");
    });
  }

  // --- What opens a conversation in the workspace's centre (an offer's Accept, a history row of the contact card):
  // here, where that centre is not, it does its plain thing instead, a form post or a link, and the browser goes to
  // the conversation's page in the workspace.
  function forTheCentre(evt) {
    const el = evt.target.closest && evt.target.closest(evt.type === "submit" ? "form" : "a");
    if (!el || el.getAttribute("hx-target") !== "#centre" || document.getElementById("centre")) return;
    evt.stopImmediatePropagation(); // htmx's own listener is on the element: it never sees this event
  }
  document.addEventListener("submit", forTheCentre, true);
  document.addEventListener("click", forTheCentre, true);

  WIDE.addEventListener("change", function () { placeCard(); setDrawer(false); });
  document.addEventListener("htmx:afterSettle", placeNew);
  document.addEventListener("DOMContentLoaded", placeNew);
})();
