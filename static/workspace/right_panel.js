// The right panel: Conversation | Contact tabs (ARIA tabs: click, arrow keys, Home/End), the tab remembered for this
// browser tab (sessionStorage); its Communication link opens the Connect view on the contact in the centre.
(function () {
  "use strict";
  const TAB_KEY = "perch:right-tab";

  function tabs() { return Array.from(document.querySelectorAll(".right-panel [role=tab]")); }

  function select(tab, focus) {
    tabs().forEach(function (other) {
      const on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    const name = tab.id.replace("tab-", "");
    tab.closest(".right-panel").dataset.tab = name;
    sessionStorage.setItem(TAB_KEY, name);
    if (focus) tab.focus();
  }

  document.addEventListener("click", function (evt) {
    const tab = evt.target.closest(".right-panel [role=tab]");
    if (tab) select(tab, false);
  });

  document.addEventListener("keydown", function (evt) {
    const tab = evt.target.closest && evt.target.closest(".right-panel [role=tab]");
    if (!tab) return;
    const all = tabs();
    const at = all.indexOf(tab);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 }[evt.key];
    if (next === undefined) return;
    evt.preventDefault();
    select(all[(next + all.length) % all.length], true);
  });

  // The link follows the conversation in the centre (its heading names the contact: .contact-name-<id>).
  function followCentre() {
    const link = document.querySelector(".right-panel .tab-link");
    if (!link) return;
    const name = document.querySelector("#centre article.interaction h1 [class*='contact-name-']");
    const match = name && name.className.match(/contact-name-(\d+)/);
    link.href = "/workspace/connect/" + (match ? "?contact=" + match[1] : "");
  }
  document.addEventListener("htmx:afterSettle", followCentre);

  document.addEventListener("DOMContentLoaded", function () {
    const panel = document.querySelector(".right-panel");
    if (!panel) return;
    followCentre();
    // A page asked for by URL (a transcript) shows its tab; otherwise the agent's last one.
    const wanted = panel.hasAttribute("data-tab-fixed") ? panel.dataset.tab : sessionStorage.getItem(TAB_KEY);
    const tab = document.getElementById("tab-" + wanted);
    if (tab) select(tab, false);
  });
})();
