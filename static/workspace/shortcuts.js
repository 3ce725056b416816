// Keyboard shortcuts of the workspace. "?" opens the list (a modal <dialog>: focus moves into it, Esc closes it
// and focus returns); "c" puts the caret in the composer; Alt+N keeps the composer's text as a private note;
// Esc closes the emoji panel and open menus. Single keys act only when the agent is not typing in a field.
(function () {
  "use strict";

  function typing(target) {
    return !!target.closest && !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true], emoji-picker");
  }

  function composer() {
    return document.querySelector("#centre textarea[data-enter-sends]");
  }

  function openHelp() {
    const dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.isComposing) return;
    if (evt.key === "Escape") {
      document.querySelectorAll("details.label-menu[open], details.reason-menu[open]").forEach(function (menu) {
        menu.open = false;
      });
      const panel = document.querySelector(".emoji-panel:not([hidden])");
      if (panel) {
        panel.hidden = true;
        const textarea = panel.closest("form") && panel.closest("form").querySelector("textarea");
        if (textarea) textarea.focus();
        evt.preventDefault();
      }
      return;
    }
    if (evt.altKey && !evt.ctrlKey && !evt.metaKey && evt.code === "KeyN") {
      const form = evt.target.closest && evt.target.closest("form.composer");
      const note = form && form.querySelector(".button-note");
      if (note) { evt.preventDefault(); note.click(); }
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey || typing(evt.target)) return;
    if (evt.key === "?") { evt.preventDefault(); openHelp(); }
    else if (evt.key === "c") {
      const box = composer();
      if (box) { evt.preventDefault(); box.focus(); }
    }
  });

  document.addEventListener("click", function (evt) {
    if (evt.target.closest("[data-open-shortcuts]")) openHelp();
    if (evt.target.closest("[data-close-dialog]")) evt.target.closest("dialog").close();
  });
})();
