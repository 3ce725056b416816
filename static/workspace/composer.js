// The composer: Enter sends and Shift+Enter starts a new line; the emoji picker (offline data) inserts at the
// caret; an attached image is previewed and checked (type, 5 MB) before upload; Reply on a tweet targets it.
(function () {
  "use strict";
  const MAX_IMAGE = 5 * 1024 * 1024;
  const TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

  function insertAtCaret(textarea, text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

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
      form.querySelector(".replying-to").replaceChildren("Replying to ", handle);
      form.querySelector("textarea").focus();
    }
  });

  document.addEventListener("change", function (evt) {
    const input = evt.target.closest("input[type=file][data-image-preview]");
    if (!input) return;
    const form = input.form;
    const preview = document.getElementById(input.dataset.imagePreview);
    const error = form.querySelector(".composer-error");
    const file = input.files[0];
    preview.replaceChildren();
    error.textContent = "";
    form.dataset.hasImage = "false";
    if (file && (!TYPES.includes(file.type) || file.size > MAX_IMAGE)) {
      error.textContent = file.size > MAX_IMAGE
        ? "This image is over 5 MB; X accepts at most 5 MB."
        : "Attach a JPEG, PNG, GIF or WEBP image.";
      input.value = "";
    } else if (file) {
      const img = document.createElement("img");
      img.alt = "Preview of the attached image";
      img.src = URL.createObjectURL(file);
      preview.append(img);
      form.dataset.hasImage = "true";
    }
    const textarea = form.querySelector("textarea");
    if (textarea) textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
