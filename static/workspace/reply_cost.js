// The price of a public reply, said before Send: while a composer's text holds a URL (found as twitter-text finds
// them, the way X does: "acme.com/help" counts, "acme.example" does not) it shows "Public reply on X · costs $0.20
// (contains a link)" — the price is the account's, from the server (_reply_cost.html), never written here. When the
// composer has its own destination label (.composer-destination), the price joins that label instead.
(function () {
  "use strict";
  function hasUrl(text) {
    const sent = text.trim();
    if (!sent) return false;
    if (!window.twttr || !window.twttr.extractUrls) return /https?:\/\/\S/.test(sent);
    return window.twttr.extractUrls(sent).length > 0;
  }

  function update(textarea) {
    const form = textarea.form;
    const cost = form.querySelector("[data-reply-cost]");
    const price = form.querySelector(".reply-cost-price");
    if (!cost || !price) return;
    // No price where a public reply is not allowed at all (social.access: the composer says why, Send is off).
    const refused = form.closest("[data-public-refused='true']") || form.querySelector("[data-public-refused='true']");
    const linked = !refused && hasUrl(textarea.value);
    const label = form.querySelector(".composer-destination");
    if (label) {
      if (price.parentNode !== label) label.append(price); // "Public reply on X" is already said there
      price.hidden = !linked;
      cost.hidden = true;
    } else {
      cost.hidden = !linked;
    }
  }

  function bind(root) {
    root.querySelectorAll("form [data-reply-cost]").forEach(function (cost) {
      const form = cost.closest("form");
      const textarea = form && form.querySelector("textarea[name=text]");
      if (!textarea || textarea.dataset.costBound) return;
      textarea.dataset.costBound = "1";
      textarea.addEventListener("input", function () { update(textarea); });
      update(textarea);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function () { bind(document); });
  window.perchReplyCost = { update: update, bind: bind, hasUrl: hasUrl };
})();
