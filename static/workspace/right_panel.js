// The right panel: Conversation | Contact | Communication tabs (ARIA tabs: click, arrow keys, Home/End), the tab
// and the contact open in the Communication tab remembered for this browser tab (sessionStorage), the Contacts
// panel toggle (remembered), and Show on a "contact replied" notice opening the Communication tab on the contact.
(function () {
  "use strict";
  const TAB_KEY = "perch:right-tab";
  const CONTACT_KEY = "perch:communication-contact";
  const CONTACTS_HIDDEN_KEY = "perch:contacts-hidden";

  function tabs() { return Array.from(document.querySelectorAll(".right-panel [role=tab]")); }

  function communicationUrl(contactId) {
    return "/workspace/communication/" + (contactId ? "?contact=" + encodeURIComponent(contactId) : "");
  }

  function loadCommunication(contactId) {
    const panel = document.getElementById("communication-panel");
    if (!panel) return;
    panel.dataset.loaded = "1";
    htmx.ajax("GET", communicationUrl(contactId), { target: "#communication-panel", swap: "innerHTML" });
  }

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
    const communication = document.getElementById("communication-panel");
    if (name === "communication" && communication && !communication.dataset.loaded && !communication.querySelector(".communication")) {
      loadCommunication(sessionStorage.getItem(CONTACT_KEY));
    }
  }

  // Show (a notice, the in-page toast, a desktop notification): the Communication tab on that contact.
  window.perchOpenCommunication = function (contactId) {
    const tab = document.getElementById("tab-communication");
    if (!tab) return;
    if (contactId) sessionStorage.setItem(CONTACT_KEY, String(contactId));
    const communication = document.getElementById("communication-panel");
    communication.dataset.loaded = "1"; // select() must not start a second load
    select(tab, false);
    loadCommunication(contactId);
  };

  document.addEventListener("click", function (evt) {
    const tab = evt.target.closest(".right-panel [role=tab]");
    if (tab) { select(tab, false); return; }
    const toggle = evt.target.closest("[data-toggle-contacts]");
    if (toggle) { setContactsHidden(toggle.getAttribute("aria-expanded") === "true"); return; }
    const contact = evt.target.closest("[data-contact-id]");
    if (contact && contact.closest("#communication-panel")) sessionStorage.setItem(CONTACT_KEY, contact.dataset.contactId);
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

  function setContactsHidden(hidden) {
    localStorage.setItem(CONTACTS_HIDDEN_KEY, hidden ? "1" : "");
    applyContactsHidden();
  }

  function applyContactsHidden() {
    const hidden = localStorage.getItem(CONTACTS_HIDDEN_KEY) === "1";
    const panel = document.getElementById("comm-contacts");
    const toggle = document.querySelector("[data-toggle-contacts]");
    if (panel) panel.hidden = hidden;
    if (toggle) {
      toggle.setAttribute("aria-expanded", hidden ? "false" : "true");
      toggle.textContent = hidden ? "Show contacts" : "Hide contacts";
    }
  }

  document.addEventListener("htmx:afterSettle", function (evt) {
    applyContactsHidden();
    const opened = evt.detail.target && evt.detail.target.querySelector && evt.detail.target.querySelector(".comm-contact");
    if (opened) sessionStorage.setItem(CONTACT_KEY, opened.dataset.contactId);
  });

  document.addEventListener("DOMContentLoaded", function () {
    const panel = document.querySelector(".right-panel");
    if (!panel) return;
    applyContactsHidden();
    const opened = document.querySelector("#communication-panel .comm-contact");
    if (opened) sessionStorage.setItem(CONTACT_KEY, opened.dataset.contactId);
    // A page asked for by URL (the Communication tab, a transcript) shows its tab; otherwise the agent's last one.
    const wanted = panel.hasAttribute("data-tab-fixed") ? panel.dataset.tab : sessionStorage.getItem(TAB_KEY);
    const tab = document.getElementById("tab-" + wanted);
    if (tab) select(tab, false);
  });
})();
