// The customer simulator page: pick a customer, DM or tweet at a brand, watch the brand's replies and likes.
// Customer and brand text is only ever set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const api = document.body.dataset.api;
  const $ = (id) => document.getElementById(id);
  const state = { persona: null, brand: null, users: {}, replyTo: null, lastActivity: "", lastMailbox: "" };

  // --- Helpers ----------------------------------------------------------------------------------------
  function status(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
  }

  async function call(path, body) {
    // With DEBUG off a staff session uses the simulator, and Django checks the CSRF token of its POSTs.
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": document.body.dataset.csrf },
      body: JSON.stringify(body),
    };
    const response = await fetch(api + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(refusal(data) || `The sandbox answered ${response.status}.`);
    return data;
  }

  // Why X (the sandbox) refused, in its own words: the simulator's `detail`, or X's `errors[].message`.
  function refusal(data) {
    const first = Array.isArray(data.errors) && data.errors[0];
    return data.detail || (first && (first.message || first.detail)) || "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function user(id) { return state.users[id] || { id, name: id, username: id }; }
  function handle(id) { return "@" + user(id).username; }

  function hue(text) {
    let sum = 0;
    for (const ch of text) sum = (sum * 31 + ch.codePointAt(0)) % 360;
    return sum;
  }

  function avatar(id, extra) {
    const person = user(id);
    const node = el("span", "avatar" + (extra ? " " + extra : ""), Array.from(person.name.trim() || "?")[0].toUpperCase());
    node.style.setProperty("--hue", hue(person.username));
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function when(iso) {
    const date = new Date(iso);
    const seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
    if (seconds < 60) return "now";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
    return date.toLocaleDateString();
  }

  function imageOf(mediaKey) {
    const img = el("img", "attached");
    img.alt = "attached image";
    img.loading = "lazy";
    img.src = api.replace(/api\/$/, "") + "media/" + encodeURIComponent(mediaKey);
    return img;
  }

  function empty(text) { return el("li", "empty", text); }

  // --- People -----------------------------------------------------------------------------------------
  function option(person) {
    const node = el("option", "", `${person.name} (@${person.username})`);
    node.value = person.id;
    return node;
  }

  function showWho(prefix, id) {
    $(prefix + "-card").hidden = !id;
    if (!id) return;
    $(prefix + "-avatar").replaceWith(Object.assign(avatar(id, prefix === "brand" ? "brand-avatar" : ""), { id: prefix + "-avatar" }));
    $(prefix + "-name-view").textContent = user(id).name;
    $(prefix + "-handle-view").textContent = handle(id);
  }

  function showPeople() {
    showWho("persona", state.persona);
    showWho("brand", state.brand);
    $("acting").textContent = state.persona && state.brand ? `${handle(state.persona)} → ${handle(state.brand)}` : "";
  }

  async function loadPeople(selectId) {
    const [{ users }, { brands }] = await Promise.all([call("users"), call("brands")]);
    const brandIds = new Set(brands.map((b) => b.id));
    users.concat(brands).forEach((u) => { state.users[u.id] = u; });
    const personas = users.filter((u) => !brandIds.has(u.id));
    $("persona-select").replaceChildren(...personas.map(option));
    $("brand-select").replaceChildren(...brands.map(option));
    if (selectId) $("persona-select").value = selectId;
    if (state.brand && brandIds.has(state.brand)) $("brand-select").value = state.brand;
    state.persona = $("persona-select").value || null;
    state.brand = $("brand-select").value || null;
    if (!personas.length) $("new-persona").open = true;
    if (!brands.length) status("No brand yet: connect an X account in Perch's admin (or run seed_demo).", true);
    showPeople();
    prefillTweet();
    state.lastActivity = "";
    await refresh();
  }

  // --- Composing --------------------------------------------------------------------------------------
  function prefillTweet() {
    const text = $("tweet-text");
    if (!text.value.trim() && state.brand && !state.replyTo) text.value = handle(state.brand) + " ";
    count();
  }

  function count() {
    const text = $("tweet-text").value;
    const used = window.twttr ? window.twttr.parseTweet(text).weightedLength : Array.from(text).length;
    const left = 280 - used;
    const counter = $("tweet-count");
    counter.textContent = left < 0 ? `${-left} over the limit` : `${left} left`;
    counter.classList.toggle("over", left < 0);
    counter.classList.toggle("near", left >= 0 && left < 20);
  }

  function startReply(tweet) {
    state.replyTo = tweet.id;
    selectTab("tweet-form");
    $("replying-to").hidden = false;
    $("replying-to").querySelector("span").textContent = handle(tweet.author_id);
    // As on X, the people a reply answers are put in front of it by X, not typed: the box starts empty.
    const text = $("tweet-text");
    text.value = "";
    count();
    text.focus();
  }

  function cancelReply() {
    state.replyTo = null;
    $("replying-to").hidden = true;
  }

  function selectTab(panelId) {
    document.querySelectorAll(".tabs [role=tab]").forEach((tab) => {
      const selected = tab.dataset.panel === panelId;
      tab.setAttribute("aria-selected", String(selected));
      $(tab.dataset.panel).hidden = !selected;
    });
  }

  function fileAsBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",")[1]);
      reader.onerror = () => reject(new Error("The image could not be read."));
      reader.readAsDataURL(file);
    });
  }

  function clearImage() {
    $("dm-image").value = "";
    $("dm-image-name").textContent = "Attach an image";
    $("dm-image-preview").hidden = true;
    $("dm-image-preview").removeAttribute("src");
  }

  // --- The conversation -------------------------------------------------------------------------------
  function renderDms(dms) {
    const items = dms.filter((d) => [d.sender_id, d.recipient_id].includes(state.brand)).map((d) => {
      const mine = d.sender_id === state.persona;
      const li = el("li", mine ? "mine" : "theirs");
      if (!mine) li.append(avatar(d.sender_id, d.sender_id === state.brand ? "small brand-avatar" : "small"));
      const bubble = el("div", "bubble");
      if (d.text) bubble.append(el("div", "text", d.text));
      d.media_keys.forEach((key) => bubble.append(imageOf(key)));
      bubble.append(el("span", "meta", `${mine ? "You" : user(d.sender_id).name} · ${when(d.created_at)}`));
      li.append(bubble);
      return li;
    });
    $("dm-list").replaceChildren(...(items.length ? items : [empty("No direct messages yet. Say hello to the brand.")]));
  }

  function tweetCard(t, liked) {
    const li = el("li", "tweet");
    li.classList.toggle("brand", t.author_id === state.brand);
    li.classList.toggle("reply", Boolean(t.in_reply_to_tweet_id));
    li.dataset.id = t.id;
    li.append(avatar(t.author_id));
    const body = el("div", "body");
    const who = el("div", "who", user(t.author_id).name + " ");
    who.append(el("span", "handle", `${handle(t.author_id)} · ${when(t.created_at)}`));
    body.append(who);
    if (t.retweeted_tweet_id) body.append(el("div", "context", "↻ Retweet"));
    else if (t.in_reply_to_user_id) body.append(el("div", "context", "Replying to " + handle(t.in_reply_to_user_id)));
    // X's text of a reply starts with the @mentions X put in front (display_text_range starts after them).
    const text = el("div", "text");
    const start = t.display_text_range ? t.display_text_range[0] : 0;
    const chars = Array.from(t.text); // X counts the range in code points
    if (start > 0) text.append(el("span", "mentions", chars.slice(0, start).join("")));
    text.append(chars.slice(start).join(""));
    body.append(text);
    t.media_keys.forEach((key) => body.append(imageOf(key)));
    const actions = el("div", "actions");
    const reply = el("button", "link", "Reply");
    reply.type = "button";
    reply.addEventListener("click", () => startReply(t));
    const retweet = el("button", "link", "Retweet");
    retweet.type = "button";
    retweet.addEventListener("click", () => act(() => call("retweet", { user_id: state.persona, tweet_id: t.id }), "Retweeted."));
    actions.append(reply, retweet);
    if (liked.has(t.id)) actions.append(el("span", "liked", "♥ Liked by " + user(state.brand).name));
    body.append(actions);
    li.append(body);
    return li;
  }

  function renderTweets(activity) {
    const liked = new Set(activity.likes.filter((l) => l.user_id === state.brand).map((l) => l.tweet_id));
    const all = activity.tweets.concat(activity.replies);
    // Threads: each conversation together, oldest first; the newest conversation on top.
    const threads = new Map();
    all.sort((a, b) => a.created_at.localeCompare(b.created_at)).forEach((t) => {
      if (!threads.has(t.conversation_id)) threads.set(t.conversation_id, []);
      threads.get(t.conversation_id).push(t);
    });
    const ordered = Array.from(threads.values()).sort((a, b) => b[b.length - 1].created_at.localeCompare(a[a.length - 1].created_at));
    const items = ordered.flat().map((t) => tweetCard(t, liked));
    $("tweet-list").replaceChildren(...(items.length ? items : [empty("No tweets yet. Mention the brand to start a thread.")]));
  }

  // --- The mailbox: Perch's emails, as the demo SMTP server received them ---------------------------------
  function mailCard(m) {
    const li = el("li", "mail");
    const head = el("div", "mail-head");
    head.append(el("span", "mail-subject", m.subject || "(no subject)"), el("span", "mail-when", when(m.received_at)));
    li.append(head, el("div", "mail-to", "To " + (m.to || "?") + (m.from ? " · from " + m.from : "")));
    li.append(el("div", "mail-text", m.text));
    li.title = new Date(m.received_at).toLocaleString();
    return li;
  }

  async function refreshMailbox() {
    try {
      const { emails } = await call("mailbox");
      const fingerprint = JSON.stringify([Math.floor(Date.now() / 60000), emails]);
      if (fingerprint === state.lastMailbox) return;
      state.lastMailbox = fingerprint;
      $("mail-list").replaceChildren(...(emails.length ? emails.map(mailCard) : [empty("No email yet. Write to a contact whose default channel is Email.")]));
    } catch (error) { status(error.message, true); }
  }

  async function refresh() {
    refreshMailbox();
    if (!state.persona) {
      renderDms([]);
      renderTweets({ tweets: [], replies: [], likes: [] });
      return;
    }
    try {
      const activity = await call("activity?user_id=" + encodeURIComponent(state.persona));
      const fingerprint = JSON.stringify([state.persona, state.brand, Math.floor(Date.now() / 60000), activity]);
      if (fingerprint === state.lastActivity) return; // nothing new: keep the page still
      state.lastActivity = fingerprint;
      const unknown = new Set();
      activity.dms.forEach((d) => [d.sender_id, d.recipient_id].forEach((id) => { if (!state.users[id]) unknown.add(id); }));
      activity.replies.forEach((t) => { if (!state.users[t.author_id]) unknown.add(t.author_id); });
      if (unknown.size) (await call("users")).users.forEach((u) => { state.users[u.id] = u; });
      renderDms(activity.dms);
      renderTweets(activity);
    } catch (error) { status(error.message, true); }
  }

  async function act(work, done) {
    try {
      await work();
      status(done);
      await refresh();
    } catch (error) { status(error.message, true); }
  }

  // --- Wiring -----------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".tabs [role=tab]").forEach((tab) => tab.addEventListener("click", () => selectTab(tab.dataset.panel)));
    $("persona-select").addEventListener("change", (e) => { state.persona = e.target.value; showPeople(); refresh(); });
    $("brand-select").addEventListener("change", (e) => {
      state.brand = e.target.value;
      $("tweet-text").value = "";
      cancelReply();
      prefillTweet();
      showPeople();
      refresh();
    });
    $("cancel-reply").addEventListener("click", () => { cancelReply(); $("tweet-text").value = ""; prefillTweet(); });
    $("tweet-text").addEventListener("input", count);
    $("dm-image").addEventListener("change", () => {
      const file = $("dm-image").files[0];
      if (!file) return clearImage();
      $("dm-image-name").textContent = file.name;
      $("dm-image-preview").src = URL.createObjectURL(file);
      $("dm-image-preview").hidden = false;
    });
    $("persona-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        const created = await call("users", { name: $("persona-name").value, username: $("persona-username").value });
        $("new-persona").open = false;
        $("persona-form").reset();
        await loadPeople(created.id);
      }, "Customer ready.");
    });
    $("dm-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        if (!state.persona || !state.brand) throw new Error("Pick a customer and a brand first.");
        const body = { sender_id: state.persona, recipient_id: state.brand, text: $("dm-text").value };
        const file = $("dm-image").files[0];
        if (file) body.image_base64 = await fileAsBase64(file);
        await call("dm", body);
        $("dm-text").value = "";
        clearImage();
      }, "DM sent.");
    });
    // The customer's X app tells the brand they are typing, or that they read its DMs up to the last one.
    $("dm-typing").addEventListener("click", () => act(async () => {
      if (!state.persona || !state.brand) throw new Error("Pick a customer and a brand first.");
      await call("typing", { sender_id: state.persona, recipient_id: state.brand });
    }, "The brand sees you typing."));
    $("dm-read").addEventListener("click", () => act(async () => {
      if (!state.persona || !state.brand) throw new Error("Pick a customer and a brand first.");
      await call("read", { sender_id: state.persona, recipient_id: state.brand });
    }, "The brand's DMs are read."));
    $("tweet-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        if (!state.persona) throw new Error("Pick a customer first.");
        const body = { author_id: state.persona, text: $("tweet-text").value };
        if (state.replyTo) body.in_reply_to_tweet_id = state.replyTo;
        await call("tweet", body);
        cancelReply();
        $("tweet-text").value = "";
        prefillTweet();
      }, "Tweeted.");
    });
    loadPeople().catch((error) => status(error.message, true));
    setInterval(refresh, 3000);
  });
})();
