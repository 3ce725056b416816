// Canned responses in the composer: typing "/" at the start of a word opens a list of the agent's responses
// (their own and their teams', filled in by the server for this contact), filtered by what follows the "/".
// Arrows move, Enter or Tab inserts, Esc closes. Built with textContent only: response text is never HTML.
(function () {
  "use strict";
  const TRIGGER = /(^|\s)\/([^\s/]*)$/; // "/" at the start of a word, up to the caret

  function menuOf(textarea) {
    return document.getElementById(textarea.dataset.cannedMenu);
  }

  function load(textarea) {
    if (!textarea._canned) {
      textarea._canned = fetch(textarea.dataset.cannedUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { responses: [] }; })
        .then(function (data) { return data.responses; })
        .catch(function () { textarea._canned = null; return []; });
    }
    return textarea._canned;
  }

  function close(textarea) {
    const menu = menuOf(textarea);
    if (menu) menu.hidden = true;
    textarea.removeAttribute("aria-activedescendant");
    textarea.removeAttribute("aria-controls");
    textarea.setAttribute("aria-expanded", "false");
  }

  function isOpen(textarea) {
    const menu = menuOf(textarea);
    return !!menu && !menu.hidden;
  }

  function options(textarea) {
    return Array.from(menuOf(textarea).querySelectorAll("[role=option]"));
  }

  function highlight(textarea, index) {
    const all = options(textarea);
    if (!all.length) return;
    const active = ((index % all.length) + all.length) % all.length;
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    textarea.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(textarea) {
    return options(textarea).findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }

  function insert(textarea, text) {
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret);
    const match = before.match(TRIGGER);
    const start = match ? caret - match[2].length - 1 : caret;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(caret);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    close(textarea);
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true })); // the reply ring counts the new text
  }

  function render(textarea, responses, query) {
    const menu = menuOf(textarea);
    const q = query.toLowerCase();
    const found = responses.filter(function (r) {
      return r.title.toLowerCase().includes(q) || r.text.toLowerCase().includes(q);
    });
    menu.replaceChildren();
    if (!found.length) {
      const empty = document.createElement("li");
      empty.className = "canned-empty";
      empty.textContent = responses.length ? "No canned response matches “" + query + "”." : "No canned responses yet.";
      menu.append(empty);
    }
    found.forEach(function (response, i) {
      const option = document.createElement("li");
      option.id = menu.id + "-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const title = document.createElement("strong");
      title.textContent = response.title;
      const preview = document.createElement("span");
      preview.className = "canned-preview";
      preview.textContent = response.text;
      option.append(title, preview);
      option.addEventListener("mousedown", function (evt) { evt.preventDefault(); }); // keep the caret
      option.addEventListener("click", function () { insert(textarea, response.text); });
      option._text = response.text;
      menu.append(option);
    });
    menu.hidden = false;
    textarea.setAttribute("aria-controls", menu.id);
    textarea.setAttribute("aria-expanded", "true");
    if (found.length) highlight(textarea, 0);
  }

  document.addEventListener("input", function (evt) {
    const textarea = evt.target.closest && evt.target.closest("textarea[data-canned-url]");
    if (!textarea) return;
    const match = textarea.value.slice(0, textarea.selectionStart).match(TRIGGER);
    if (!match) { close(textarea); return; }
    load(textarea).then(function (responses) {
      // Still wanted? The agent may have typed on while the list loaded.
      const now = textarea.value.slice(0, textarea.selectionStart).match(TRIGGER);
      if (now) render(textarea, responses, now[2]); else close(textarea);
    });
  });

  // Capture phase: while the list is open, its keys must not reach the composer (Enter would send).
  document.addEventListener("keydown", function (evt) {
    const textarea = evt.target.closest && evt.target.closest("textarea[data-canned-url]");
    if (!textarea || !isOpen(textarea)) return;
    const handled = ["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"];
    if (!handled.includes(evt.key) || evt.isComposing) return;
    evt.preventDefault();
    evt.stopImmediatePropagation();
    if (evt.key === "ArrowDown") highlight(textarea, activeIndex(textarea) + 1);
    else if (evt.key === "ArrowUp") highlight(textarea, activeIndex(textarea) - 1);
    else if (evt.key === "Escape") close(textarea);
    else {
      const chosen = options(textarea)[activeIndex(textarea)];
      if (chosen) insert(textarea, chosen._text); else close(textarea);
    }
  }, true);

  document.addEventListener("focusout", function (evt) {
    const textarea = evt.target.closest && evt.target.closest("textarea[data-canned-url]");
    if (textarea) setTimeout(function () { if (document.activeElement !== textarea) close(textarea); }, 150);
  });
})();
