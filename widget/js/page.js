// The chat's few page-side helpers in plain JS, where browser APIs cost fewer bytes than
// their WebAssembly bindings (bundled into the chat's glue by `cargo xtask widget`).

// Hands a socket of the chat's to the call chunk, before the chat's own handler. Call frames
// are the chunk's alone (the chat never sees them); the first frame that concerns a call (or
// says the visitor may ask for one) fetches the chunk, frames queue meanwhile, and from then
// on the chunk hears every frame of every socket. `__CALL_JS__` is the chunk's file name,
// next to this module.
var queued, chunk;
// One frame to the chunk; a frame it chokes on does not stop the next.
function hand(ws, text) {
  try { chunk.frame(ws, text); } catch (e) { console.warn("[chimpassist]", e); }
}
export function callPort(ws, root) {
  ws.addEventListener("message", function (e) {
    // Call frames, and errors answering one (they name its `call_id`).
    var text = e.data, call = /^\{"type":"(call|error"[^{}]*"call_id")/.test(text), s = root.caSay;
    // What the page says (`sendMessage`, a greeting's answer; sent by attrsTell) is kept
    // until its ack.
    if (s && !text.indexOf('{"type":"ack"')) root.caSay = s.filter(function (g) { return !g.client_id || text.indexOf(g.client_id) < 0; });
    if (!text.indexOf('{"type":"welcome"')) pageWatch(ws, (/"page_tracking":"(\w+)"/.exec(text) || [])[1], root);
    if (text.indexOf('"attachments":[') > 0) noteFiles(text, ws, root);
    if (call) e.stopImmediatePropagation();
    if (chunk) hand(ws, text);
    else if (queued) queued.push([ws, text]);
    else if (call || /"may_call":true/.test(text)) {
      queued = [[ws, text]];
      import("./__CALL_JS__").then(function (m) {
        chunk = m.widgetCalls(root, root.querySelector(".ca-panel").lang);
        queued.forEach(function (q) { hand(q[0], q[1]); });
      }).catch(function (e) {
        console.warn("[chimpassist] the call code did not load", e);
      }).finally(function () { queued = null; });
    }
  });
}

// The visitor's context for the desk: the page, title, referrer, language and clock, sent
// on the chat's socket after each welcome and whenever the address or title changes while
// the chat is loaded (checked each second: single-page sites change both without a
// load). With `tracking` "off" no page goes, only the rest; unless it is "full" the
// address leaves without its query string and fragment (tokens live there). The site's
// attributes (`setAttributes`, kept by the loader on `root.caAttrs`) go after each welcome
// and whenever the loader says they changed. What the page says (`caSay`: `sendMessage`, a
// greeting's answer, each a `say` frame) goes the same way: after each welcome, and at once
// when the loader or the greeting script adds some (`ca-attrs`); the server stores each once.
var pageWs, pageLast, pageTimer, attrRoot;
function attrsTell() {
  var a = attrRoot.caAttrs;
  (attrRoot.caSay || []).forEach(function (g) {
    // A random UUID (v4) as its client id, once: plain-HTTP pages lack `crypto.randomUUID`.
    g.client_id = g.client_id || "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16);
    });
    pageWs.readyState == 1 && pageWs.send(JSON.stringify(g));
  });
  // A value JSON cannot write (a BigInt, a cycle) is the site's to fix; pages still go.
  try {
    for (var k in a) return pageWs.readyState == 1 && pageWs.send(JSON.stringify({ type: "set_attributes", attributes: a }));
  } catch (e) { console.warn("[chimpassist]", e); }
}
function pageWatch(ws, tracking, root) {
  pageWs = ws;
  pageLast = null;
  clearInterval(pageTimer);
  if (!attrRoot) root.addEventListener("ca-attrs", attrsTell);
  attrRoot = root;
  attrsTell();
  function tell() {
    var l = location, off = tracking == "off", d = document, o = Intl.DateTimeFormat().resolvedOptions(),
      url = off ? "" : tracking == "full" ? l.href : l.origin + l.pathname, title = off ? "" : d.title;
    if (url + title == pageLast || pageWs.readyState != 1) return;
    pageLast = url + title;
    pageWs.send(JSON.stringify({ type: "page", url: url, title: title, referrer: off ? "" : d.referrer.split(/[?#]/)[0],
      language: navigator.language, time_zone: o.timeZone, utc_offset: -new Date().getTimezoneOffset() }));
  }
  tell();
  if (tracking != "off") pageTimer = setInterval(tell, 1000);
}

// A date and time for the visitor ("Tue, Dec 8, 9:00 AM"), in their language and zone.
export function when(ms, lang) {
  return new Date(ms).toLocaleString(lang, { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" });
}

// A short two-tone chime (WebAudio: no audio file to download).
export function chime() {
  try {
    var ctx = new AudioContext(), osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime;
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(660, t + 0.12);
    gain.gain.setValueAtTime(0.08, t);
    gain.gain.linearRampToValueAtTime(0, t + 0.3);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(t + 0.3);
  } catch (e) {}
}

// `fetch` for the chat's two REST calls; a body makes it a JSON POST. Resolves to
// [status, text], or [0, ""] when the request could not be made (never rejects).
export function fetchText(url, body) {
  return fetch(url, body == null ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: body })
    .then(function (r) { return r.text().then(function (t) { return [r.status, t]; }); })
    .catch(function () { return [0, ""]; });
}

// Files: the tray and the message files live in a chunk (`__FILES_JS__`, widget/js/files.js)
// fetched when a file first concerns the visitor: one picked, pasted or dropped, or a message
// that carries one. Until then only these few lines wait for a file.
var files, tray, trayOptions;
function withFiles(then) {
  (files = files || import("./__FILES_JS__")).then(then).catch(function (e) {
    files = null;
    console.warn("[chimpassist] the file code did not load", e);
  });
}
function withTray(then) {
  withFiles(function (m) { then(tray = tray || m.fileTray(trayOptions)); });
}
// `form` is the composer (its `data-conversation` names the conversation); the tray goes in
// `box`; `tokenKey` is where the visitor's token is kept (localStorage).
export function filesOpen(form, box, max, lang, base, tokenKey) {
  var text = form.querySelector("textarea");
  trayOptions = {
    tray: box, paste: text, drop: form, base: base, max: max, lang: lang,
    token: function () { try { return JSON.parse(localStorage.getItem(tokenKey)).token; } catch (e) { return null; } },
    conversation: function () { return form.dataset.conversation; }
  };
  tray = null;
  function grab(e) {
    var dt = e.clipboardData || e.dataTransfer, list = dt && dt.files;
    if (tray || !list || !list.length) return;
    e.preventDefault();
    withTray(function (t) { t.add(list); });
  }
  text.addEventListener("paste", grab);
  form.addEventListener("drop", grab);
  form.addEventListener("dragover", function (e) { if (!tray) e.preventDefault(); });
}
export function filesPick() {
  withTray(function (t) { t.pick(); });
}
// "empty", "busy" or "ready"; `filesTake` then gives the uploaded files (JSON text).
export function filesState() {
  return tray ? tray.state() : "empty";
}
export function filesTake() {
  return tray ? tray.take() : "[]";
}
// A message's files, noted from its frame (live, replayed or a history page) by seq, for the
// conversation shown: the chat does not read them; they are drawn into the message's line
// (`.ca-msg[data-seq]`) once it is there, and into lines drawn later.
var shown = {}, shownIn, watching;
function noteFiles(text, ws, root) {
  var f;
  // A frame the chat cannot read is the chat's to report; it must not stop the call port.
  try { f = JSON.parse(text); } catch (e) { return; }
  var list = f.messages || (f.message ? [f.message] : []);
  list.forEach(function (m) {
    if (m.conversation != shownIn) {
      shown = {};
      shownIn = m.conversation;
    }
    if (m.attachments) shown[m.seq] = m.attachments;
  });
  var base = ws.url.replace(/^ws/, "http").replace(/\/ws\/customer.*$/, "");
  function draw() {
    root.querySelectorAll(".ca-msg[data-seq]").forEach(function (line) {
      var files = shown[line.dataset.seq];
      if (files && !line.querySelector(".ca-files")) {
        var box = document.createElement("div");
        box.className = "ca-files";
        line.insertBefore(box, line.querySelector(".ca-meta"));
        withFiles(function (m) { m.showFiles(box, files, base, root.querySelector(".ca-panel").lang); });
      }
    });
  }
  draw();
  if (!watching) {
    watching = new MutationObserver(draw);
    watching.observe(root, { childList: true, subtree: true });
  }
}
