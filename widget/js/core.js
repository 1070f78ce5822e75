// Chimp Assist loader core: shared by the script tag (widget.js) and the npm package.
// It draws the bubble in a shadow root and loads the chat (WASM) only when needed.
// Kept small on purpose: it is the part every visitor downloads.
var CA_TYPES = {
  backendEndpoint: "s", queueId: "s", title: "s", width: "n", height: "n",
  backgroundColor: "c", color: "c", position: ["bottom-right", "bottom-left"],
  defaultText: "s", activeText: "s", previewText: "s", logo: "s",
  expandAnimationMs: "n", autoConnect: "b", containerEl: "s", locale: ["en", "pt-BR"],
  showPoweredBy: "b", sound: "b", preChat: "b", preChatFields: "a"
};

// Checks a site owner's configuration: unknown keys and malformed values are dropped with a
// console warning, so the defaults apply and the page never breaks.
function caClean(raw) {
  var flat = {}, out = {}, k, v, t, ok;
  raw = raw || {};
  for (k in raw) {
    v = raw[k];
    if ((k == "chatWidget" || k == "header") && v && typeof v == "object") {
      for (t in v) flat[t] = v[t];
    } else flat[k] = v;
  }
  for (k in flat) {
    v = flat[k]; t = CA_TYPES[k];
    if (!t) { caWarn("unknown option " + k); continue; }
    if (t == "n" && typeof v == "string" && v.trim() && !isNaN(v)) v = +v;
    if (t == "b" && (v === "true" || v === "false")) v = v == "true";
    if (t == "a" && typeof v == "string") v = v.split(",");
    ok = t == "s" ? typeof v == "string"
      : t == "n" ? typeof v == "number" && v >= 0 && v < 1e5
      : t == "b" ? typeof v == "boolean"
      : t == "c" ? typeof v == "string" && CSS.supports("color", v)
      : t == "a" ? Array.isArray(v) && v.every(function (f) { return ["name", "email", "problem"].indexOf(f) >= 0; })
      : t.indexOf(v) >= 0;
    if (ok) out[k] = v; else caWarn("bad " + k + " ignored: " + JSON.stringify(v));
  }
  return out;
}

function caWarn(m) { console.warn("[chimpassist] " + m); }

// Mounts the widget and returns its handle: open, close, toggle, setUser, resetUser,
// setAttributes, sendMessage, on. Attributes and what the page says wait on the chat's
// mount point (`caAttrs`, `caSay`) for the page helper, which sends them after each welcome
// and when they change.
// `load()` resolves to the chat module ({start}) and is called at most once; `greet()` to
// the greetings module (widget/js/greet.js), asked for only when the server has rules.
function caMount(raw, load, greet) {
  var cfg = caClean(raw), id = cfg.containerEl || "chimpassist", doc = document;
  if (!cfg.backendEndpoint) caWarn("backendEndpoint is required");
  var listeners = {}, fired = {}, open = false, app, loading, user, pending = [], attrs = {};
  var handle = { open: show, close: hide, toggle: function () { open ? hide() : show(); }, on: on,
    setUser: function (u) { user = u || {}; call(function (a) { a.setUser(user); }); },
    resetUser: function () { user = null; call(function (a) { a.resetUser(); }); },
    setAttributes: function (a) { Object.assign(attrs, a); tell(); },
    // The visitor says `t` (a `say` frame; the page helper gives it its client id): the
    // chat opens.
    sendMessage: function (t) {
      if (typeof t != "string" || !t.trim()) return caWarn("sendMessage: expected some text");
      mountAt.caSay.push({ type: "say", queue: cfg.queueId, text: t });
      show();
      tell();
    } };
  function tell() { app && mountAt.dispatchEvent(new Event("ca-attrs")); }
  if (doc.getElementById(id)) {
    caWarn("#" + id + " exists; not added twice");
    return handle;
  }
  var host = doc.createElement("div");
  host.id = id;
  var root = host.attachShadow({ mode: "open" });
  var left = cfg.position == "bottom-left";
  root.innerHTML = "<style>:host{all:initial}.b{position:fixed;bottom:20px;" + (left ? "left" : "right") +
    ":20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".b:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}.b svg{width:28px;height:28px;fill:currentColor}" +
    ".n{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#d93025;color:#fff;font:600 12px/20px system-ui,sans-serif}" +
    ".n[hidden]{display:none}.r{position:relative;z-index:2147483001}</style>" +
    "<div class=r></div><button class=b data-testid=launcher type=button aria-expanded=false><svg viewBox='0 0 24 24' aria-hidden=true><path d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-4 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z'/></svg><span class=n hidden></span></button>";
  var bubble = root.querySelector(".b"), badge = root.querySelector(".n"), mountAt = root.querySelector(".r");
  mountAt.caAttrs = attrs;
  mountAt.caSay = [];
  bubble.style.background = cfg.backgroundColor || "#4498B4";
  bubble.style.color = cfg.color || "#F6F6F6";
  bubble.setAttribute("aria-label", cfg.defaultText || cfg.title || "Chat");
  bubble.title = cfg.defaultText || cfg.title || "Chat";
  bubble.onclick = handle.toggle;
  (doc.body || doc.documentElement).appendChild(host);

  var bridge = {
    emit: emit,
    badge: function (n) { badge.hidden = !n; badge.textContent = n > 99 ? "99+" : n || ""; emit("unread", n); },
    close: hide
  };
  function emit(name, detail) {
    fired[name] = [detail];
    (listeners[name] || []).forEach(function (f) { try { f(detail); } catch (e) { console.error(e); } });
  }
  function on(name, f) {
    (listeners[name] = listeners[name] || []).push(f);
    if (name == "ready" && fired.ready) f(fired.ready[0]);
    return handle;
  }
  // Loads the chat once; later calls wait for the same promise.
  function ensure() {
    loading = loading || load().then(function (m) {
      app = m.start(mountAt, cfg, bridge, user);
      pending.forEach(function (f) { f(app); });
      emit("loaded");
      return app;
    }, function (e) {
      loading = null;
      bubble.setAttribute("aria-busy", "false");
      caWarn("load failed: " + e);
    });
    return loading;
  }
  function call(f) { app ? f(app) : loading && pending.push(f); }
  function show() {
    if (open) return;
    open = true;
    bubble.setAttribute("aria-expanded", "true");
    ensure().then(function (a) { if (a && open) { a.open(); emit("opened"); } });
  }
  function hide() {
    if (!open) return;
    open = false;
    bubble.setAttribute("aria-expanded", "false");
    app && app.close();
    bubble.focus();
    emit("closed");
  }
  if (cfg.autoConnect) (window.requestIdleCallback || setTimeout)(ensure);
  // Greeting rules: 204 when there are none, and then no more is fetched.
  fetch(cfg.backendEndpoint + "/api/greetings").then(function (r) {
    r.status < 204 && greet().then(function (m) { m.greet(r, cfg, root, handle); });
  }).catch(caWarn);
  setTimeout(function () { emit("ready"); });
  return handle;
}
