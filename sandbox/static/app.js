// The opsbot sandbox page: draws the workspace the sandbox holds and plays Slack toward the bot.
// Plain JavaScript, no build step, no network beyond the sandbox itself.
"use strict";

const S = {
  data: null,
  channel: null, // current channel id
  view: "channel", // "channel" | "home"
  homeTab: "home",
  user: "U0ALICE",
  thread: null, // {channel, ts}
  seen: {}, // channel id -> top-level message count already seen
  signatures: {}, // pane -> what it last drew, to skip needless redraws
  modal: null, // "view id:hash" drawn in the modal root
};

// ---------------------------------------------------------------- small helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function tsKey(ts) {
  const [seconds, fraction = ""] = String(ts).split(".");
  return BigInt(seconds) * 1000000n + BigInt((fraction + "000000").slice(0, 6));
}

function byTs(a, b) {
  const x = tsKey(a.ts), y = tsKey(b.ts);
  return x < y ? -1 : x > y ? 1 : 0;
}

function timeOf(ts) {
  return new Date(Number(String(ts).split(".")[0]) * 1000).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

async function post(path, body) {
  const response = await fetch(`/_sandbox/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data;
  try { data = await response.json(); } catch { data = { ok: false, error: `HTTP ${response.status}` }; }
  if (!data.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function status(id, text, kind) {
  const node = document.getElementById(id);
  node.textContent = text || "";
  node.className = `status-line ${kind || ""}`;
}

// ---------------------------------------------------------------- emoji

// Slack draws `:name:` shortcodes itself; the page maps them to Unicode (static/emoji/shortcodes.json) and
// app.css draws every emoji with the font shipped beside it, so they show even without an emoji font.
let EMOJI = {};

async function loadEmoji() {
  const response = await fetch("/_sandbox/static/emoji/shortcodes.json");
  if (response.ok) EMOJI = await response.json();
}

function emojiHtml(name) {
  if (!Object.hasOwn(EMOJI, name)) return null;
  return `<span class="emoji" title=":${escapeHtml(name)}:">${EMOJI[name]}</span>`;
}

function withEmoji(escaped) {
  return escaped.replace(/:([a-z0-9_+\-]+):/g, (whole, name) => emojiHtml(name) || whole);
}

// ---------------------------------------------------------------- names

function userById(id) { return (S.data && S.data.users.find((u) => u.id === id)) || null; }
function channelById(id) { return (S.data && S.data.channels.find((c) => c.id === id)) || null; }
function humans() { return S.data.users.filter((u) => !u.is_bot); }
function displayName(user) { return user ? user.profile.display_name || user.name : "unknown"; }
function realName(user) { return user ? user.real_name || user.name : "unknown"; }

const COLORS = ["#e8912d", "#2bac76", "#1264a3", "#e01e5a", "#36c5f0", "#4a154b", "#9e5f00"];
function avatarColor(id) {
  let sum = 0;
  for (const c of String(id)) sum += c.charCodeAt(0);
  return COLORS[sum % COLORS.length];
}

// ---------------------------------------------------------------- mrkdwn

function mrkdwn(source) {
  const saved = [];
  const keep = (html) => `\u0000${saved.push(html) - 1}\u0000`;
  let text = String(source || "");
  text = text.replace(/```\n?([\s\S]*?)```/g, (_, code) => keep(`<pre>${escapeHtml(unescapeSlack(code))}</pre>`));
  text = text.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  text = text.replace(/<([^<>\n]+)>/g, (_, inner) => keep(special(inner)));
  let html = escapeHtml(unescapeSlack(text));
  html = html.replace(/(^|[^\w*])\*([^*\n]+)\*(?![\w*])/g, "$1<b>$2</b>");
  html = html.replace(/(^|[^\w])_([^_\n]+)_(?![\w])/g, "$1<i>$2</i>");
  html = html.replace(/(^|[^\w~])~([^~\n]+)~(?![\w~])/g, "$1<s>$2</s>");
  html = withEmoji(html);
  html = html.replace(/(^|\n)&gt; ?([^\n]*)/g, "$1<blockquote>$2</blockquote>");
  html = html.replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => saved[Number(i)]);
}

function special(inner) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    const user = userById(target.slice(1));
    return `<span class="mention">@${escapeHtml(user ? displayName(user) : label || target.slice(1))}</span>`;
  }
  if (target.startsWith("#")) {
    const channel = channelById(target.slice(1));
    return `<span class="mention">#${escapeHtml(channel ? channel.name : label || target.slice(1))}</span>`;
  }
  if (target.startsWith("!subteam^")) {
    const group = (S.data.usergroups || []).find((g) => g.id === target.slice(9));
    return `<span class="mention">${escapeHtml(label || (group ? `@${group.handle}` : "@group"))}</span>`;
  }
  if (target.startsWith("!date^")) return escapeHtml(unescapeSlack(label || ""));
  if (["!here", "!channel", "!everyone"].includes(target)) return `<span class="mention">@${target.slice(1)}</span>`;
  const href = unescapeSlack(target);
  const safe = /^(https?:|mailto:)/i.test(href) ? href : "#";
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${escapeHtml(unescapeSlack(label || target))}</a>`;
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

function textHtml(obj) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text);
  const plain = escapeHtml(obj.text || "");
  return obj.emoji === false ? plain : withEmoji(plain);
}

function textNode(tag, obj, className) {
  return el(tag, { className: className ? `${className} mrkdwn` : "mrkdwn", html: textHtml(obj) });
}

function plain(obj) { return obj ? obj.text || "" : ""; }

// ---------------------------------------------------------------- Block Kit

function renderBlocks(blocks, ctx) {
  const root = el("div", { className: "blocks" });
  for (const block of blocks || []) root.append(renderBlock(block, ctx));
  return root;
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header":
      return textNode("div", b.text, "block bk-header");
    case "section": {
      const body = el("div", { className: "bk-text" });
      if (b.text) body.append(textNode("div", b.text));
      if (b.fields) body.append(el("div", { className: "bk-fields" }, b.fields.map((f) => textNode("div", f))));
      return el("div", { className: "block bk-section" }, body, b.accessory ? renderElement(b.accessory, inBlock(ctx, b)) : null);
    }
    case "context":
      return el("div", { className: "block bk-context" }, (b.elements || []).map((e) =>
        e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text || "" }) : textNode("span", e)));
    case "divider":
      return el("hr", { className: "bk-divider" });
    case "image":
      return el("div", { className: "block bk-image" },
        b.title ? el("div", { className: "title" }, plain(b.title)) : null,
        el("img", { src: imageUrl(b), alt: b.alt_text || "" }));
    case "actions":
      return el("div", { className: "block bk-actions" }, (b.elements || []).map((e) => renderElement(e, inBlock(ctx, b))));
    case "input":
      return renderInput(b);
    case "rich_text":
      return el("div", { className: "block mrkdwn", html: richText(b.elements || []) });
    default:
      return el("div", { className: "block empty" }, `[${b.type} block]`);
  }
}

function imageUrl(b) {
  const file = b.slack_file;
  if (!b.image_url && file && file.id) {
    const stored = Object.values(S.data.files || {}).find((f) => f.id === file.id);
    return stored ? fileUrl(stored) : "";
  }
  return b.image_url || (file && file.url) || "";
}

function richText(elements) {
  return elements.map((section) => {
    const inner = (section.elements || []).map((item) => {
      if (item.type === "text") {
        let html = escapeHtml(item.text).replace(/\n/g, "<br>");
        const style = item.style || {};
        if (style.code) html = `<code>${html}</code>`;
        if (style.bold) html = `<b>${html}</b>`;
        if (style.italic) html = `<i>${html}</i>`;
        if (style.strike) html = `<s>${html}</s>`;
        return html;
      }
      if (item.type === "link") return special(`${item.url}|${item.text || item.url}`);
      if (item.type === "user") return special(`@${item.user_id}`);
      if (item.type === "channel") return special(`#${item.channel_id}`);
      if (item.type === "emoji") return emojiHtml(item.name) || `:${escapeHtml(item.name)}:`;
      if (item.elements) return richText([item]);
      return "";
    }).join("");
    if (section.type === "rich_text_preformatted") return `<pre>${inner}</pre>`;
    if (section.type === "rich_text_quote") return `<blockquote>${inner}</blockquote>`;
    if (section.type === "rich_text_list") return `<ul>${(section.elements || []).map((e) => `<li>${richText([e])}</li>`).join("")}</ul>`;
    return `<div>${inner}</div>`;
  }).join("");
}

function options(e) {
  const list = [...(e.options || [])];
  for (const group of e.option_groups || []) list.push(...(group.options || []));
  return list;
}

// Slack lets blocks repeat an action_id: a click names its block so the right element is found.
function inBlock(ctx, b) {
  return ctx && b.block_id ? { ...ctx, blockId: b.block_id } : ctx;
}

function renderElement(e, ctx) {
  const interact = (extra) => act(ctx, e, extra);
  switch (e.type) {
    case "button": {
      const style = e.style === "primary" || e.style === "danger" ? e.style : "";
      return el("button", {
        type: "button", className: `bk-button ${style}`, "data-action-id": e.action_id,
        onclick: (event) => {
          if (e.url) window.open(e.url, "_blank", "noopener");
          const button = event.currentTarget;
          button.disabled = true; // until the bot has answered, like Slack's spinner
          interact({}).finally(() => { button.disabled = false; });
        },
      }, el("span", { html: textHtml(e.text) }));
    }
    case "static_select": case "external_select": case "users_select":
    case "conversations_select": case "channels_select": {
      const select = selectFor(e);
      select.className = "bk-select";
      select.setAttribute("data-action-id", e.action_id);
      select.addEventListener("change", () => interact({ selected_option_value: select.value }));
      return select;
    }
    case "overflow":
      return overflow(e, (value) => interact({ selected_option_value: value }));
    case "checkboxes": {
      // Slack sends the element's whole selection after the change (empty when the last box is unticked)
      const initial = (e.initial_options || []).map((o) => o.value);
      const box = el("div", { className: "bk-checks", "data-action-id": e.action_id });
      const selection = () => [...box.querySelectorAll("input:checked")].map((i) => i.value).join(",");
      for (const o of options(e)) {
        const input = el("input", { type: "checkbox", value: o.value, checked: initial.includes(o.value) });
        input.addEventListener("change", () => interact({ block_id: ctx && ctx.blockId, selected_option_value: selection() }));
        box.append(el("label", {}, input, el("span", { html: textHtml(o.text) }),
          o.description ? el("span", { className: "hint", html: textHtml(o.description) }) : null));
      }
      return box;
    }
    case "datepicker": {
      const input = el("input", { type: "date", className: "bk-select", value: e.initial_date || "" });
      input.addEventListener("change", () => interact({ selected_option_value: input.value }));
      return input;
    }
    case "image":
      return el("img", { src: e.image_url, alt: e.alt_text || "", style: "width:72px;height:72px;border-radius:6px" });
    default:
      return el("span", { className: "empty" }, `[${e.type}]`);
  }
}

function selectFor(e, { multiple = false } = {}) {
  const select = el("select", { multiple });
  if (!multiple) select.append(el("option", { value: "", disabled: true, selected: true }, plain(e.placeholder) || "Select an item"));
  const choose = (value, label, selected) => select.append(el("option", { value, selected }, label));
  if (e.type.endsWith("users_select")) {
    const initial = e.initial_users || [e.initial_user];
    for (const u of humans()) choose(u.id, realName(u), initial.includes(u.id));
  } else if (e.type.endsWith("conversations_select") || e.type.endsWith("channels_select")) {
    const initial = e.initial_channels || e.initial_conversations || [e.initial_channel || e.initial_conversation];
    for (const c of S.data.channels.filter((c) => !c.is_im)) choose(c.id, `#${c.name}`, initial.includes(c.id));
  } else {
    const initial = (e.initial_options || [e.initial_option]).filter(Boolean).map((o) => o.value);
    for (const o of options(e)) choose(o.value, plain(o.text), initial.includes(o.value));
  }
  return select;
}

function overflow(e, choose) {
  const menu = el("div", { className: "bk-menu", hidden: true });
  for (const o of options(e)) {
    menu.append(el("button", { type: "button", onclick: () => { menu.hidden = true; choose(o.value); } }, plain(o.text)));
  }
  const toggle = el("button", {
    type: "button", "aria-label": "More actions", "data-action-id": e.action_id,
    onclick: (event) => {
      event.stopPropagation();
      const open = menu.hidden;
      document.querySelectorAll(".bk-menu").forEach((m) => { m.hidden = true; });
      menu.hidden = !open;
    },
  }, "⋮");
  return el("div", { className: "bk-overflow" }, toggle, menu);
}

async function act(ctx, e, extra) {
  if (!ctx) return; // elements inside legacy attachments are only drawn
  const target = ctx.kind === "view"
    ? { view_id: ctx.viewId }
    : { channel: ctx.channel, ts: ctx.ts, ephemeral: ctx.kind === "ephemeral" };
  try {
    await post("click", { user: S.user, action_id: e.action_id, ...target, ...extra });
    status("composer-status", "");
  } catch (error) {
    status("composer-status", error.message, "error");
    refresh();
  }
}

function renderAttachment(a) {
  const colors = { good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a" };
  const body = el("div", { className: "body" },
    a.pretext ? textNode("div", a.pretext) : null,
    a.title ? el("div", { className: "title" }, a.title_link ? el("a", { href: a.title_link, target: "_blank" }, a.title) : a.title) : null,
    a.text ? textNode("div", a.text) : null,
    a.fields ? el("div", { className: "bk-fields" }, a.fields.map((f) => el("div", {}, el("b", {}, f.title || ""), el("div", { className: "mrkdwn", html: mrkdwn(f.value || "") })))) : null,
    a.blocks ? renderBlocks(a.blocks, null) : null,
    a.footer ? el("div", { className: "bk-context" }, a.footer) : null);
  return el("div", { className: "attachment" }, el("div", { className: "bar", style: `background:${colors[a.color] || a.color || "#ddd"}` }), body);
}

// ---------------------------------------------------------------- messages

function isBot(m) { return Boolean(m.bot_id) || m.user === S.data.bot.user_id; }

function fileUrl(f) { return `/_sandbox/files/${encodeURIComponent(f.id)}/${encodeURIComponent(f.name)}`; }

function renderMessage(m, { kind = "message", inThread = false, compact = false } = {}) {
  const bot = isBot(m);
  const user = bot ? null : userById(m.user);
  const author = bot ? "opsbot" : kind === "ephemeral" ? "Slackbot" : realName(user);
  const initial = author.slice(0, 1).toUpperCase();
  const avatar = el("div", { className: `avatar ${bot ? "bot" : ""}`, style: bot ? null : `background:${avatarColor(m.user || author)}` }, bot ? "⚙" : initial);
  const body = el("div", { className: "msg-body" });
  if (kind === "ephemeral") body.append(el("div", { className: "only-you" }, "Only visible to you"));
  if (!compact || kind === "ephemeral") {
    body.append(el("div", { className: "msg-head" },
      el("span", { className: "author" }, author),
      bot || kind === "ephemeral" ? el("span", { className: "app-tag" }, "APP") : null,
      el("span", { className: "time", title: m.ts }, timeOf(m.ts))));
  }
  if (m.subtype === "tombstone") body.append(el("div", { className: "tombstone" }, "This message was deleted."));
  else if (m.blocks && m.blocks.length) body.append(renderBlocks(m.blocks, { kind, channel: m.channel, ts: m.ts }));
  else if (m.text) body.append(textNode("div", m.text));
  if (m.edited) {
    const texts = body.querySelectorAll(".mrkdwn");
    (texts.length ? texts[texts.length - 1] : body).append(el("span", { className: "edited" }, "(edited)"));
  }
  for (const a of m.attachments || []) body.append(renderAttachment(a));
  for (const f of m.files || []) {
    body.append(String(f.mimetype || "").startsWith("image/")
      ? el("img", { className: "file-img", src: fileUrl(f), alt: f.title || f.name })
      : el("a", { className: "file-chip", href: fileUrl(f), target: "_blank" }, `📄 ${f.title || f.name}`));
  }
  if (m.reactions && m.reactions.length) body.append(renderReactions(m));
  if (!inThread && m.reply_count) body.append(repliesLink(m));
  return el("div", {
    className: `msg ${kind} ${compact ? "compact" : ""} ${m.subtype === "channel_topic" ? "system" : ""}`,
    "data-ts": m.ts, "data-testid": kind === "ephemeral" ? "ephemeral" : "message",
  }, compact && kind !== "ephemeral" ? el("div", {}) : avatar, body);
}

function renderReactions(m) {
  return el("div", { className: "reactions" }, m.reactions.map((r) => el("button", {
    type: "button", className: `reaction ${r.users.includes(S.user) ? "mine" : ""}`,
    title: r.users.map((id) => displayName(userById(id))).join(", "),
    onclick: () => post("react", { user: S.user, channel: m.channel, ts: m.ts, name: r.name }).catch((e) => status("composer-status", e.message, "error")),
  }, el("span", { html: emojiHtml(r.name) || `:${escapeHtml(r.name)}:` }), String(r.count))));
}

function repliesLink(m) {
  const faces = (m.reply_users || []).slice(0, 3).map((id) => {
    const u = userById(id);
    const bot = u && u.is_bot;
    return el("span", { className: "mini-avatar", style: `background:${bot ? "#2eb67d" : avatarColor(id)}` }, bot ? "⚙" : realName(u).slice(0, 1));
  });
  const count = `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`;
  return el("button", { type: "button", className: "replies", onclick: () => openThread(m.channel, m.ts) },
    faces, count, m.latest_reply ? el("span", { className: "last" }, `Last reply ${timeOf(m.latest_reply)}`) : null);
}

function channelMessages(channelId) {
  return ((S.data.messages || {})[channelId] || []).map((m) => ({ ...m, channel: channelId }));
}

function topLevel(channelId) {
  return channelMessages(channelId).filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === "thread_broadcast");
}

function myEphemerals(channelId, threadTs) {
  return (S.data.ephemerals || []).filter((e) => e.channel === channelId && e.user === S.user && (e.thread_ts || null) === (threadTs || null));
}

function timeline(items, container, { inThread = false } = {}) {
  let previous = null;
  for (const item of items) {
    const kind = item._ephemeral ? "ephemeral" : "message";
    const compact = previous && !previous._ephemeral && kind === "message" && previous.user === item.user &&
      Boolean(previous.bot_id) === Boolean(item.bot_id) && tsKey(item.ts) - tsKey(previous.ts) < 300000000n && !previous.reply_count;
    container.append(renderMessage(item, { kind, inThread, compact: Boolean(compact) && !inThread }));
    previous = item;
  }
}

// ---------------------------------------------------------------- panes

function drawSidebar() {
  const channels = S.data.channels.filter((c) => !c.is_im && !c.is_mpim && !c.is_archived).sort((a, b) => a.name.localeCompare(b.name));
  const list = document.getElementById("channels");
  list.replaceChildren(...channels.map((c) => navItem(c, c.is_private ? "🔒" : "#", c.name)));
  const dms = S.data.channels.filter((c) => (c.is_im && c.user === S.user) || (c.is_mpim));
  document.getElementById("dms").replaceChildren(...dms.map((c) => navItem(c, "•", c.is_im ? "opsbot" : c.name)));
  const home = el("button", {
    type: "button", className: S.view === "home" ? "active" : "", "data-testid": "app-home",
    onclick: () => openHome(),
  }, el("span", { className: "hash" }, "⚙"), el("span", { className: "label" }, "opsbot"));
  document.getElementById("apps").replaceChildren(el("li", {}, home));
  const bot = S.data.bot;
  document.getElementById("bot-dot").className = `dot ${bot.connected ? "on" : ""}`;
  document.getElementById("bot-status").textContent = bot.connected ? "opsbot connected" : "no bot connected";
}

// The "Paged" section: what opsbot paged beyond Slack, one list per destination.
function drawPagedSms() {
  const sent = (S.data.paged && S.data.paged.sms) || [];
  const items = sent.slice(0, 20).map((m) => el("li", { "data-sid": m.sid },
    el("span", { className: "paged-kind" }, "SMS"),
    el("span", {}, `to ${m.user ? realName(userById(m.user)) : m.to} (${m.to}) at ${new Date(m.at * 1000).toLocaleTimeString()}`),
    el("div", { className: "paged-body" }, m.body)));
  document.getElementById("paged-sms").replaceChildren(...(items.length ? items : [el("li", {}, "No SMS sent yet")]));
}

function navItem(c, mark, label) {
  const count = topLevel(c.id).length;
  if (S.seen[c.id] === undefined) S.seen[c.id] = count;
  const unread = Math.max(0, count - S.seen[c.id]);
  const active = S.view === "channel" && S.channel === c.id;
  return el("li", {}, el("button", {
    type: "button", className: `${active ? "active" : ""} ${unread && !active ? "unread" : ""}`,
    "data-channel": c.name, onclick: () => openChannel(c.id),
  }, el("span", { className: "hash" }, mark), el("span", { className: "label" }, label), unread && !active ? el("span", { className: "badge" }, String(unread)) : null));
}

function drawMain() {
  const title = document.getElementById("channel-title");
  const tabs = document.getElementById("home-tabs");
  const composer = document.getElementById("composer");
  const pane = document.getElementById("messages");
  if (S.view === "home") {
    title.textContent = "opsbot";
    document.getElementById("channel-topic").textContent = "App";
    tabs.hidden = false;
    tabs.querySelectorAll("button").forEach((b) => b.classList.toggle("active", b.dataset.tab === S.homeTab));
    if (S.homeTab === "home") {
      composer.hidden = true;
      const viewId = S.data.home_views[S.user];
      const view = viewId && S.data.views.find((v) => v.id === viewId);
      redraw(pane, "main", ["home", view && view.hash], () => view
        ? el("div", { className: "home" }, renderBlocks(view.blocks, { kind: "view", viewId: view.id }))
        : el("div", { className: "empty" }, "opsbot has not published a Home tab for you yet."));
      return;
    }
  } else {
    tabs.hidden = true;
  }
  composer.hidden = false;
  const channel = currentChannel();
  if (S.view !== "home") {
    title.textContent = channel ? (channel.is_im ? "opsbot" : `#${channel.name}`) : "";
    document.getElementById("channel-topic").textContent = channel && channel.topic ? channel.topic.value : "";
  }
  const name = channel ? (channel.is_im ? "opsbot" : `#${channel.name}`) : "opsbot";
  document.getElementById("composer-input").placeholder = `Message ${name}`;
  if (!channel) {
    redraw(pane, "main", ["none"], () => el("div", { className: "empty" }, "Send opsbot a message to start your conversation."));
    return;
  }
  S.seen[channel.id] = topLevel(channel.id).length;
  const items = [...topLevel(channel.id), ...myEphemerals(channel.id, null).map((e) => ({ ...e, _ephemeral: true }))].sort(byTs);
  redraw(pane, "main", [channel.id, S.user, items], () => {
    const box = el("div", {});
    if (!items.length) box.append(el("div", { className: "empty" }, `This is the very beginning of #${channel.name}.`));
    timeline(items, box);
    return box;
  });
}

function redraw(pane, key, signature, build) {
  const sig = JSON.stringify(signature, (k, v) => (typeof v === "bigint" ? v.toString() : v));
  if (S.signatures[key] === sig) return;
  S.signatures[key] = sig;
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  const scroll = pane.scrollTop;
  pane.replaceChildren(build());
  pane.scrollTop = atBottom ? pane.scrollHeight : scroll;
}

function currentChannel() {
  if (S.view === "home") return S.data.channels.find((c) => c.is_im && c.user === S.user) || null;
  return channelById(S.channel);
}

function drawThread() {
  const pane = document.getElementById("thread");
  if (!S.thread) { pane.hidden = true; return; }
  const messages = channelMessages(S.thread.channel);
  const parent = messages.find((m) => m.ts === S.thread.ts);
  if (!parent) { S.thread = null; pane.hidden = true; return; }
  pane.hidden = false;
  const channel = channelById(S.thread.channel);
  document.getElementById("thread-channel").textContent = channel ? (channel.is_im ? "opsbot" : `#${channel.name}`) : "";
  const replies = messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  const ephemerals = myEphemerals(S.thread.channel, parent.ts).map((e) => ({ ...e, _ephemeral: true }));
  const items = [...replies, ...ephemerals].sort(byTs);
  redraw(document.getElementById("thread-messages"), "thread", [parent, items, S.user], () => {
    const box = el("div", {}, renderMessage(parent, { inThread: true }));
    box.append(el("div", { className: "thread-sep" }, `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`));
    timeline(items, box, { inThread: true });
    return box;
  });
}

// ---------------------------------------------------------------- modals

function topModal() {
  const stack = (S.data.modal_stacks || {})[S.user] || [];
  const id = stack[stack.length - 1];
  const view = id && S.data.views.find((v) => v.id === id);
  return view && !view.closed ? view : null;
}

function drawModal() {
  const root = document.getElementById("modal-root");
  const view = topModal();
  const key = view ? `${view.id}:${view.hash}` : null;
  if (key === S.modal) return;
  S.modal = key;
  if (!view) { root.replaceChildren(); return; }
  const form = el("form", { className: "modal", role: "dialog", "aria-label": plain(view.title), "data-testid": "modal" });
  const error = el("div", { className: "modal-error", role: "alert" });
  const close = () => post("close_view", { view_id: view.id }).catch((e) => { error.textContent = e.message; });
  form.append(
    el("header", {}, el("h2", {}, el("span", { className: "app-icon" }, "⚙"), plain(view.title)),
      el("button", { type: "button", className: "icon-button", "aria-label": "Close", onclick: close }, "×")),
    el("div", { className: "modal-body" }, renderBlocks(view.blocks, { kind: "view", viewId: view.id })),
    error,
    el("footer", {},
      el("button", { type: "button", className: "cancel", onclick: close }, plain(view.close) || "Cancel"),
      view.submit ? el("button", { type: "submit", className: "submit" }, plain(view.submit)) : null));
  form.addEventListener("submit", (event) => { event.preventDefault(); submitModal(view, form, error); });
  root.replaceChildren(el("div", { className: "overlay" }, form));
}

function renderInput(b) {
  const e = b.element || {};
  const id = `input-${b.block_id}`;
  let control;
  if (e.type === "plain_text_input" || e.type === "email_text_input" || e.type === "url_text_input" || e.type === "number_input") {
    const type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[e.type] || "text";
    control = e.multiline
      ? el("textarea", { placeholder: plain(e.placeholder) })
      : el("input", { type, placeholder: plain(e.placeholder) });
    control.value = e.initial_value || "";
  } else if (e.type === "datepicker" || e.type === "timepicker") {
    control = el("input", { type: e.type === "datepicker" ? "date" : "time", value: e.initial_date || e.initial_time || "" });
  } else if (e.type === "checkboxes" || e.type === "radio_buttons") {
    const initial = (e.initial_options || [e.initial_option]).filter(Boolean).map((o) => o.value);
    control = el("div", { className: "bk-checks" }, options(e).map((o) => el("label", {},
      el("input", { type: e.type === "checkboxes" ? "checkbox" : "radio", name: id, value: o.value, checked: initial.includes(o.value) }),
      el("span", { html: textHtml(o.text) }))));
  } else if (/select$/.test(e.type)) {
    control = selectFor(e, { multiple: e.type.startsWith("multi_") });
  } else {
    control = el("div", { className: "empty" }, `[${e.type} input]`);
  }
  control.id = id;
  control.setAttribute("data-input-for", b.block_id);
  return el("div", { className: "bk-input", "data-block-id": b.block_id },
    el("label", { for: id }, plain(b.label), b.optional ? el("span", { className: "optional" }, " (optional)") : null),
    control,
    b.hint ? el("div", { className: "hint" }, plain(b.hint)) : null,
    el("div", { className: "error" }));
}

function inputValue(block, e, node) {
  const control = node.querySelector(`[data-input-for="${CSS.escape(block.block_id)}"]`);
  if (!control) return null;
  if (e.type === "checkboxes") return [...control.querySelectorAll("input:checked")].map((i) => i.value);
  if (e.type === "radio_buttons") { const on = control.querySelector("input:checked"); return on ? on.value : null; }
  if (control.multiple) return [...control.selectedOptions].map((o) => o.value);
  return control.value || null;
}

async function submitModal(view, form, error) {
  const values = {};
  let missing = false;
  form.querySelectorAll(".bk-input").forEach((n) => { n.classList.remove("invalid"); n.querySelector(".error").textContent = ""; });
  for (const block of view.blocks.filter((b) => b.type === "input")) {
    const value = inputValue(block, block.element || {}, form);
    const empty = value === null || (Array.isArray(value) && !value.length);
    if (empty && !block.optional) { showInputError(form, block.block_id, "Please complete this required field."); missing = true; }
    if (!empty) values[block.block_id] = value;
  }
  if (missing) return;
  error.textContent = "";
  try {
    const result = await post("submit", { view_id: view.id, user: S.user, values });
    for (const [blockId, message] of Object.entries(result.errors || {})) showInputError(form, blockId, message);
  } catch (e) {
    error.textContent = e.message;
  }
}

function showInputError(form, blockId, message) {
  const node = form.querySelector(`.bk-input[data-block-id="${CSS.escape(blockId)}"]`);
  if (!node) return;
  node.classList.add("invalid");
  node.querySelector(".error").textContent = message;
}

// ---------------------------------------------------------------- navigation and composing

function openChannel(id) {
  S.view = "channel";
  S.channel = id;
  drawAll();
}

function openHome() {
  S.view = "home";
  drawAll();
  if (S.data.bot.connected) post("home", { user: S.user }).catch((e) => status("composer-status", e.message, "error"));
}

function openThread(channel, ts) {
  S.thread = { channel, ts };
  drawThread();
}

async function send(text, { threadTs = null } = {}) {
  const channel = currentChannel();
  const target = channel ? channel.id : `@${displayName(userById(S.user))}`;
  const isCommand = text.startsWith("/") && !threadTs;
  status("composer-status", isCommand ? `Sending ${text.split(" ")[0]}…` : "");
  try {
    if (isCommand) await post("slash", { user: S.user, channel: target, text });
    else await post("message", { user: S.user, channel: target, text, thread_ts: threadTs });
    status("composer-status", "");
    return true;
  } catch (error) {
    status("composer-status", error.message, "error");
    return false;
  }
}

function wireComposer(formId, inputId, threadTs) {
  const form = document.getElementById(formId);
  const input = document.getElementById(inputId);
  const submit = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    const ok = await send(text, { threadTs: threadTs() });
    if (!ok && !input.value) input.value = text;
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(); }
  });
}

function wireSimulate() {
  for (const button of document.querySelectorAll("#simulate button")) {
    button.addEventListener("click", async () => {
      const kind = button.dataset.alert;
      const label = button.textContent.trim();
      status("sim-status", `${label}…`);
      try {
        if (kind) {
          const result = await post("alerts", { kind });
          status("sim-status", `${kind === "resolve" ? "Resolved" : "Fired"}: ${result.alerts.join(", ")}`, "ok");
        } else if (button.dataset.pagerdutyFault) {
          const result = await post("pagerduty_faults", {});
          status("sim-status", result.message, "ok");
        } else if (button.dataset.fault) {
          const result = await post("faults", { kind: button.dataset.fault });
          status("sim-status", result.message, "ok");
        } else {
          const result = await post("digest", { period: button.dataset.digest, so_far: "soFar" in button.dataset });
          status("sim-status", result.message || `${label}: done`, "ok");
        }
      } catch (error) {
        status("sim-status", error.message, "error");
      }
    });
  }
}

function drawUsers() {
  const select = document.getElementById("acting-user");
  if (select.options.length) return;
  for (const u of humans()) select.append(el("option", { value: u.id, selected: u.id === S.user }, `${realName(u)} (@${u.name})`));
  select.addEventListener("change", () => {
    S.user = select.value;
    S.signatures = {};
    S.modal = null;
    if (S.view === "home") openHome(); else drawAll();
  });
}

// ---------------------------------------------------------------- paged beyond Slack

function drawPaged() {
  const paged = S.data.paged || {};
  const box = document.getElementById("paged");
  redraw(box, "paged", [paged, S.user], () => el("div", {}, pagerDutySection(paged.pagerduty)));
}

function pagerDutySection(pd) {
  if (!pd) return null;
  if (!pd.incidents.length && !pd.events.length) {
    return el("div", { className: "paged-empty" }, pd.connected ? "PagerDuty: nothing paged yet" : "PagerDuty: not connected");
  }
  const incidents = pd.incidents.map((i) => el("div", { className: `paged-item ${i.status}`, "data-testid": `pagerduty-incident-${i.number}` },
    el("div", { className: "paged-head" }, `PagerDuty #${i.number} · ${i.status}`),
    el("div", { className: "paged-text", title: i.dedup_key }, i.title),
    el("div", { className: "paged-log" }, i.log.join(" → ")),
    i.status === "resolved" ? null : el("div", { className: "paged-actions" },
      i.status === "triggered" ? pagerDutyButton(i, "acknowledge", "Acknowledge") : null,
      pagerDutyButton(i, "resolve", "Resolve"))));
  const events = pd.events.slice(0, 6).map((e) => el("li", { className: e.status === 202 ? "" : "refused" },
    `${e.status} ${e.action || "?"}: ${e.outcome}`));
  return el("div", {}, incidents, el("div", { className: "paged-head" }, "Events received"), el("ul", { className: "paged-events" }, events));
}

function pagerDutyButton(incident, action, label) {
  return el("button", {
    type: "button", "data-testid": `pagerduty-${action}-${incident.number}`,
    title: `${label} incident #${incident.number} in PagerDuty as ${realName(userById(S.user))}; PagerDuty tells opsbot by webhook`,
    onclick: async () => {
      try {
        await post("pagerduty_act", { number: incident.number, action, user_name: realName(userById(S.user)) });
        status("sim-status", `${label}d in PagerDuty: #${incident.number}`, "ok");
      } catch (error) {
        status("sim-status", error.message, "error");
      }
    },
  }, `${label} in PagerDuty`);
}

function drawAll() {
  if (!S.data) return;
  drawUsers();
  drawSidebar();
  drawPaged();
  drawPagedSms();
  drawMain();
  drawThread();
  drawModal();
}

// ---------------------------------------------------------------- live updates

let fetching = null;
let again = false;

async function refresh() {
  if (fetching) { again = true; return fetching; }
  fetching = (async () => {
    do {
      again = false;
      const response = await fetch("/_sandbox/state", { cache: "no-store" });
      if (!response.ok) {  // e.g. 403: the sandbox restarted with a new key; its printed URL has the new one
        const body = await response.json().catch(() => ({}));
        document.getElementById("bot-status").textContent = body.error || `HTTP ${response.status}`;
        return;
      }
      S.data = await response.json();
      if (!S.channel || !channelById(S.channel)) {
        const general = S.data.channels.find((c) => c.is_general) || S.data.channels[0];
        S.channel = general ? general.id : null;
      }
      drawAll();
    } while (again);
  })().finally(() => { fetching = null; });
  return fetching;
}

function listen() {
  const source = new EventSource("/_sandbox/events");
  source.onmessage = () => refresh();
  source.onopen = () => refresh();
}

document.addEventListener("click", () => document.querySelectorAll(".bk-menu").forEach((m) => { m.hidden = true; }));
document.getElementById("thread-close").addEventListener("click", () => { S.thread = null; drawThread(); });
document.querySelectorAll("#home-tabs button").forEach((b) => b.addEventListener("click", () => { S.homeTab = b.dataset.tab; drawAll(); }));
wireComposer("composer", "composer-input", () => null);
wireComposer("thread-composer", "thread-input", () => (S.thread ? S.thread.ts : null));
wireSimulate();
loadEmoji().finally(() => refresh().then(listen));
