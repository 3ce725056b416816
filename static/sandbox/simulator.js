// The customer simulator page: pick a customer, DM or tweet at a brand, watch the brand's replies and likes.
// Customer and brand text is only ever set with textContent.
(function () {
  "use strict";
  const api = document.body.dataset.api;
  const $ = (id) => document.getElementById(id);
  const state = { persona: null, brand: null, users: {}, replyTo: null };

  function status(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
  }

  async function call(path, body) {
    const response = await fetch(api + path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || `The sandbox answered ${response.status}.`);
    return data;
  }

  function option(user) {
    const el = document.createElement("option");
    el.value = user.id;
    el.textContent = `${user.name} (@${user.username})`;
    return el;
  }

  async function loadPeople(selectId) {
    const [{ users }, { brands }] = await Promise.all([call("users"), call("brands")]);
    const brandIds = new Set(brands.map((b) => b.id));
    users.concat(brands).forEach((u) => { state.users[u.id] = u; });
    const personas = users.filter((u) => !brandIds.has(u.id));
    $("persona-select").replaceChildren(...personas.map(option));
    $("brand-select").replaceChildren(...brands.map(option));
    if (selectId) $("persona-select").value = selectId;
    state.persona = $("persona-select").value || null;
    state.brand = $("brand-select").value || null;
    if (!personas.length) $("new-persona").open = true;
    if (!brands.length) status("No brand yet: connect an X account in Perch's admin (or run seed_demo).", true);
    prefillTweet();
    refresh();
  }

  function handle(id) { return state.users[id] ? "@" + state.users[id].username : id; }

  function prefillTweet() {
    const text = $("tweet-text");
    if (!text.value.trim() && state.brand && !state.replyTo) text.value = handle(state.brand) + " ";
  }

  function imageOf(mediaKey) {
    const img = document.createElement("img");
    img.alt = "attached image";
    img.src = api.replace(/api\/$/, "") + "media/" + encodeURIComponent(mediaKey);
    return img;
  }

  function renderDms(dms) {
    const items = dms.filter((d) => [d.sender_id, d.recipient_id].includes(state.brand)).map((d) => {
      const li = document.createElement("li");
      li.classList.toggle("mine", d.sender_id === state.persona);
      li.append(document.createTextNode(d.text));
      d.media_keys.forEach((key) => li.append(imageOf(key)));
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${handle(d.sender_id)} · ${new Date(d.created_at).toLocaleTimeString()}`;
      li.append(meta);
      return li;
    });
    $("dm-list").replaceChildren(...(items.length ? items : [empty("No direct messages yet.")]));
  }

  function empty(text) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = text;
    return li;
  }

  function renderTweets(activity) {
    const liked = new Set(activity.likes.filter((l) => l.user_id === state.brand).map((l) => l.tweet_id));
    const all = activity.tweets.concat(activity.replies).sort((a, b) => a.created_at.localeCompare(b.created_at));
    const items = all.map((t) => {
      const li = document.createElement("li");
      li.classList.toggle("brand", t.author_id === state.brand);
      li.classList.toggle("reply", Boolean(t.in_reply_to_tweet_id));
      const who = document.createElement("div");
      who.className = "who";
      who.textContent = state.users[t.author_id] ? state.users[t.author_id].name + " " : "";
      const at = document.createElement("span");
      at.className = "handle";
      at.textContent = handle(t.author_id);
      who.append(at);
      const text = document.createElement("div");
      text.className = "text";
      text.textContent = t.text;
      const actions = document.createElement("div");
      actions.className = "actions";
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "link";
      reply.textContent = "Reply";
      reply.addEventListener("click", () => startReply(t));
      const retweet = document.createElement("button");
      retweet.type = "button";
      retweet.className = "link";
      retweet.textContent = "Retweet";
      retweet.addEventListener("click", () => act(() => call("retweet", { user_id: state.persona, tweet_id: t.id }), "Retweeted."));
      actions.append(reply, retweet);
      if (liked.has(t.id)) {
        const heart = document.createElement("span");
        heart.className = "liked";
        heart.textContent = "♥ liked by " + handle(state.brand);
        actions.append(heart);
      }
      li.append(who, text);
      t.media_keys.forEach((key) => li.append(imageOf(key)));
      li.append(actions);
      return li;
    });
    $("tweet-list").replaceChildren(...(items.length ? items : [empty("No tweets yet.")]));
  }

  async function refresh() {
    if (!state.persona) return;
    try {
      const activity = await call("activity?user_id=" + encodeURIComponent(state.persona));
      renderDms(activity.dms);
      renderTweets(activity);
    } catch (error) { status(error.message, true); }
  }

  function startReply(tweet) {
    state.replyTo = tweet.id;
    selectTab("tweet-form");
    $("replying-to").hidden = false;
    $("replying-to").querySelector("span").textContent = handle(tweet.author_id);
    const text = $("tweet-text");
    text.value = handle(tweet.author_id) + " " + (tweet.author_id === state.brand ? "" : handle(state.brand) + " ");
    text.focus();
  }

  async function act(work, done) {
    try { await work(); status(done); refresh(); } catch (error) { status(error.message, true); }
  }

  function fileAsBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",")[1]);
      reader.onerror = () => reject(new Error("The image could not be read."));
      reader.readAsDataURL(file);
    });
  }

  function selectTab(panelId) {
    document.querySelectorAll(".tabs button").forEach((tab) => {
      const selected = tab.dataset.panel === panelId;
      tab.setAttribute("aria-selected", String(selected));
      $(tab.dataset.panel).hidden = !selected;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".tabs button").forEach((tab) => tab.addEventListener("click", () => selectTab(tab.dataset.panel)));
    $("persona-select").addEventListener("change", (e) => { state.persona = e.target.value; refresh(); });
    $("brand-select").addEventListener("change", (e) => { state.brand = e.target.value; refresh(); });
    $("cancel-reply").addEventListener("click", () => { state.replyTo = null; $("replying-to").hidden = true; });
    $("persona-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        const user = await call("users", { name: $("persona-name").value, username: $("persona-username").value });
        $("new-persona").open = false;
        await loadPeople(user.id);
      }, "Customer ready.");
    });
    $("dm-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        const body = { sender_id: state.persona, recipient_id: state.brand, text: $("dm-text").value };
        const file = $("dm-image").files[0];
        if (file) body.image_base64 = await fileAsBase64(file);
        await call("dm", body);
        $("dm-text").value = "";
        $("dm-image").value = "";
      }, "DM sent.");
    });
    $("tweet-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act(async () => {
        const body = { author_id: state.persona, text: $("tweet-text").value };
        if (state.replyTo) body.in_reply_to_tweet_id = state.replyTo;
        await call("tweet", body);
        state.replyTo = null;
        $("replying-to").hidden = true;
        $("tweet-text").value = "";
        prefillTweet();
      }, "Tweeted.");
    });
    loadPeople().catch((error) => status(error.message, true));
    setInterval(refresh, 3000);
  });
})();
