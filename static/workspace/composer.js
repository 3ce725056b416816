// The composer: it grows with its text; Enter sends and Shift+Enter starts a new line; the emoji picker (offline data) inserts at the
// caret; an attached image is checked (type, the server's size limit from the input's data-max-bytes, the browser
// can decode it) and previewed, with Remove, before upload; Reply on a tweet targets it.
(function () {
  "use strict";
  const TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

  function insertAtCaret(textarea, text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  // The text box grows with its text, up to its CSS max-height, then scrolls; it shrinks back when the text goes
  // (Send, a canned response replaced). Measured from scrollHeight after resetting to its rows' height.
  function grow(textarea) {
    textarea.style.height = "auto";
    const border = textarea.offsetHeight - textarea.clientHeight;
    textarea.style.height = textarea.scrollHeight + border + "px";
  }
  function growAll() {
    document.querySelectorAll("textarea[data-grows]").forEach(grow);
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("textarea[data-grows]")) grow(evt.target);
  });
  document.addEventListener("DOMContentLoaded", growAll);
  document.addEventListener("htmx:afterSettle", growAll);
  window.addEventListener("resize", growAll);

  // Drafts: what the agent typed for a conversation waits for them (this browser tab, sessionStorage) while they
  // work another one or reload; a request of the composer's form that succeeds (Send, Add private note) takes it.
  const DRAFT = "perch:composer-draft:";  // a sessionStorage key, not an event (see test_event_vocabulary)
  function draftBoxes(root) { return (root || document).querySelectorAll("textarea[data-enter-sends][id]"); }
  document.addEventListener("input", function (evt) {
    const box = evt.target.matches && evt.target.matches("textarea[data-enter-sends][id]") ? evt.target : null;
    if (!box) return;
    if (box.value.trim()) sessionStorage.setItem(DRAFT + box.id, box.value);
    else sessionStorage.removeItem(DRAFT + box.id);
  });
  function restoreDrafts() {
    draftBoxes().forEach(function (box) {
      const draft = sessionStorage.getItem(DRAFT + box.id);
      if (draft && !box.value) { box.value = draft; grow(box); }
    });
  }
  document.addEventListener("DOMContentLoaded", restoreDrafts);
  document.addEventListener("htmx:afterSettle", restoreDrafts);
  document.addEventListener("htmx:beforeSwap", function (evt) {  // before the answer settles (and restores)
    const config = evt.detail.requestConfig;  // beforeSwap is the target's event: the requester is in the config
    const form = config && config.elt && config.elt.closest && config.elt.closest("form");
    const posted = config && config.verb !== "get";
    if (!form || !posted || evt.detail.xhr.status >= 300) return;
    draftBoxes(form).forEach(function (box) { sessionStorage.removeItem(DRAFT + box.id); });
  });

  document.addEventListener("keydown", function (evt) {
    const textarea = evt.target.closest && evt.target.closest("textarea[data-enter-sends]");
    if (!textarea || evt.key !== "Enter" || evt.shiftKey || evt.isComposing) return;
    evt.preventDefault();
    const send = textarea.form.querySelector("button[type=submit]");
    if (send && !send.disabled) textarea.form.requestSubmit(send);
  });

  document.addEventListener("click", function (evt) {
    const emoji = evt.target.closest("button[data-emoji-for]");
    if (emoji) {
      const panel = document.getElementById(emoji.dataset.emojiPanel);
      if (!panel.querySelector("emoji-picker")) {
        const picker = document.createElement("emoji-picker");
        picker.dataSource = emoji.dataset.emojiDataUrl;
        picker.addEventListener("emoji-click", function (e) {
          insertAtCaret(document.getElementById(emoji.dataset.emojiFor), e.detail.unicode);
          panel.hidden = true;
        });
        panel.append(picker);
      }
      panel.hidden = !panel.hidden;
      return;
    }
    const reply = evt.target.closest("button[data-reply-to]");
    if (reply) {
      const form = document.getElementById(reply.dataset.composer);
      form.querySelector("input[name=in_reply_to_tweet_id]").value = reply.dataset.replyTo;
      const handle = document.createElement("bdi"); // customer text: isolated, like the server renders it
      handle.textContent = "@" + reply.dataset.replyHandle;
      const replyingTo = form.querySelector(".replying-to");
      replyingTo.replaceChildren("Replying to ", handle);
      replyingTo.hidden = false;
      const refusal = form.querySelector(".destination-refusal"); // this tweet may be answered in public
      if (refusal) refusal.remove();
      const textarea = form.querySelector("textarea");
      if (form.dataset.publicRefused === "true") {
        form.dataset.publicRefused = "false";
        textarea.placeholder = "Write a public reply";
        if (window.perchReplyRing) window.perchReplyRing.update(textarea); // Send follows the text again
      }
      textarea.focus();
    }
  });

  // An attached image is checked before any upload: its type and size, then whether the browser can decode it at
  // all (a text file named .png is no image, whatever its name says). Refusals are said in the composer's error
  // line, where the server's are said too. The preview has Remove, which takes the image off before Send.
  function imageChanged(form) {
    const textarea = form.querySelector("textarea");
    if (textarea) textarea.dispatchEvent(new Event("input", { bubbles: true })); // the ring re-decides Send
  }

  function removeImage(form, input, message) {
    input.value = "";
    document.getElementById(input.dataset.imagePreview).replaceChildren();
    form.dataset.hasImage = "false";
    form.querySelector(".composer-error").textContent = message;
    imageChanged(form);
  }

  function decodes(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file).then(function (bitmap) { bitmap.close(); return true; }, function () { return false; });
    }
    return new Promise(function (resolve) {
      const img = new Image();
      const url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(true); };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(false); };
      img.src = url;
    });
  }

  function showPreview(form, input, file) {
    const img = document.createElement("img");
    img.alt = "Preview of the attached image";
    img.src = URL.createObjectURL(file);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link image-remove";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove the attached image");
    remove.addEventListener("click", function () {
      URL.revokeObjectURL(img.src);
      removeImage(form, input, "");
      input.focus();
    });
    document.getElementById(input.dataset.imagePreview).replaceChildren(img, remove);
    form.dataset.hasImage = "true";
    imageChanged(form);
  }

  document.addEventListener("change", function (evt) {
    const input = evt.target.closest("input[type=file][data-image-preview]");
    if (!input) return;
    const form = input.form;
    const file = input.files[0];
    document.getElementById(input.dataset.imagePreview).replaceChildren();
    form.dataset.hasImage = "false";
    form.querySelector(".composer-error").textContent = "";
    if (!file) { imageChanged(form); return; }
    const tooBig = file.size > Number(input.dataset.maxBytes);
    if (!TYPES.includes(file.type) || tooBig) {
      removeImage(form, input, tooBig ? input.dataset.tooBig : "Attach a JPEG, PNG, GIF or WEBP image.");
      return;
    }
    decodes(file).then(function (ok) {
      if (input.files[0] !== file) return; // another file was picked meanwhile
      if (ok) showPreview(form, input, file);
      else removeImage(form, input, "This file is not an image we can send.");
    });
  });
})();
