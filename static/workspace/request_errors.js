// An htmx request that failed is never silent: the page says "That did not work — reload" (once, however many
// fail) and the failure is reported to the server (POST /workspace/client-errors/, logged as client.error).
// A reload is the cure because the URL always names what the page shows (README, "Front-end notes").
(function () {
  "use strict";
  const FAILURES = {
    "htmx:responseError": "the server answered with an error",
    "htmx:sendError": "the server could not be reached",
    "htmx:targetError": "the place to show the answer is missing",
    "htmx:swapError": "the answer could not be shown",
    "htmx:onLoadError": "the page could not set up new content",
  };
  const MAX_REPORTS = 10; // a dead server fails every refresh: a few reports tell the story
  let reports = 0;
  let leaving = false; // requests cut short by a reload or a link are no failure
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });

  function csrfToken() {
    // The same token htmx sends (base.html and the board put it in hx-headers); the cookie as a fallback.
    const holder = document.querySelector("[hx-headers]");
    if (holder) {
      try { return JSON.parse(holder.getAttribute("hx-headers"))["X-CSRFToken"] || ""; } catch (e) { /* below */ }
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function report(name, detail) {
    if (reports >= MAX_REPORTS) return;
    reports += 1;
    const xhr = detail && detail.xhr;
    const path = (detail && detail.pathInfo && detail.pathInfo.requestPath) || "";
    const body = new URLSearchParams({
      event: name,
      status: xhr && xhr.status ? String(xhr.status) : "",
      path: path.split("?")[0], // never the query: it can hold what an agent searched for
      page: location.pathname,
    });
    fetch("/workspace/client-errors/", {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": csrfToken() },
    }).catch(function () { /* the banner already told the agent; nothing more to do offline */ });
  }

  function slot() {
    let box = document.getElementById("page-notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "page-notice";
      box.className = "page-notice";
      box.setAttribute("role", "alert");
      document.body.prepend(box);
    }
    return box;
  }

  function showBanner() {
    const box = slot();
    if (box.querySelector(".request-error")) return; // one banner, however many requests failed
    const banner = document.createElement("p");
    banner.className = "request-error";
    banner.append("That did not work — ");
    const reload = document.createElement("a");
    reload.href = location.href; // the URL names what the page shows, so this reload shows the same thing
    reload.textContent = "reload";
    banner.append(reload);
    box.replaceChildren(banner);
  }

  Object.keys(FAILURES).forEach(function (name) {
    document.addEventListener(name, function (evt) {
      if (leaving) return;
      console.warn("Perch: " + FAILURES[name], name, evt.detail && evt.detail.pathInfo ? evt.detail.pathInfo.requestPath : "");
      showBanner();
      report(name, evt.detail);
    });
  });

  // A template that needs eval (a trigger filter, hx-on, js: values) is a bug in Perch, not the agent's trouble:
  // an error on the console (the browser tests fail on it) and a report, no banner.
  document.addEventListener("htmx:evalDisallowedError", function (evt) {
    console.error("Perch: an htmx attribute needs eval, which the CSP forbids", evt.target);
    report("htmx:evalDisallowedError", evt.detail);
  });

  // A notice that htmx swapped in (a gone conversation, a refused Accept) goes away on the next click elsewhere.
  document.addEventListener("click", function (evt) {
    const box = document.getElementById("page-notice");
    if (box && box.firstChild && !box.contains(evt.target) && !box.querySelector(".request-error")) {
      box.replaceChildren();
    }
  });
})();
