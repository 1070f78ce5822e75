// Proactive greetings, fetched by the loader only when the server has enabled rules
// (`GET /api/greetings`). Each rule is timed on the pages its path pattern matches (the
// path is watched each second: single-page sites change it without a load); when one is
// due it draws its greeting above the launcher, text only, never HTML, without loading the
// chat. The visitor's answer is left on the chat's mount point (`caSay`) and the chat is
// opened: the page helper sends it after the welcome (`say`), and the server
// starts a conversation whose first message is the greeting, read from its own store.
// How often a visitor sees a rule is counted in this browser (localStorage).

var TEXTS = {
  en: { reply: "Write a reply…", send: "Send", close: "Close" },
  "pt-BR": { reply: "Escreva uma resposta…", send: "Enviar", close: "Fechar" }
};
var DAY = 864e5;
var CSS = ".g{position:fixed;bottom:88px;z-index:2147483000;width:280px;max-width:calc(100vw - 40px);box-sizing:border-box;padding:14px 16px;" +
  "border-radius:12px;background:#fff;color:#202124;box-shadow:0 4px 24px rgba(0,0,0,.2);font:14px/1.4 system-ui,sans-serif}" +
  ".g b{display:block;margin:0 24px 4px 0;font-weight:600}.g p{margin:0 0 10px;white-space:pre-wrap;overflow-wrap:anywhere}" +
  ".g form{display:flex;gap:6px}.g input{flex:1;min-width:0;padding:7px 9px;border:1px solid #c4c7c5;border-radius:8px;font:inherit}" +
  ".g .s,.g .x{border:0;cursor:pointer;font:inherit}.g .s{padding:0 12px;border-radius:8px}" +
  ".g .x{position:absolute;top:6px;right:8px;background:none;color:#5f6368;font-size:18px;line-height:1}";

// `*` stands for any run of characters, the rest for itself; the whole path must match.
// The same linear walk as `PathPattern::matches` on the server (a regular expression of
// many `*` could backtrack for long).
function matches(p, path) {
  var parts = p.split("*"), first = parts.shift(), last, at, i;
  if (path.indexOf(first)) return false;
  path = path.slice(first.length);
  if (!parts.length) return !path;
  last = parts.pop();
  for (i = 0; i < parts.length; i++) {
    at = path.indexOf(parts[i]);
    if (at < 0) return false;
    path = path.slice(at + parts[i].length);
  }
  return path.length >= last.length && path.slice(path.length - last.length) == last;
}

// The page's path as written (`/preços`, not `/pre%C3%A7os`).
function here() {
  try { return decodeURI(location.pathname); } catch (e) { return location.pathname; }
}

// `response`: the server's answer with the public rules (tried in order); `cfg`: the
// loader's checked configuration; `root`: the shadow root; `handle`: the page's
// ChimpAssist handle.
export function greet(response, cfg, root, handle) {
  response.json().then(function (g) { timed(g.rules, cfg, root, handle); }).catch(function (e) {
    console.warn("[chimpassist]", e);
  });
}

function timed(rules, cfg, root, handle) {
  // Where the chat mounts, and where the page helper looks for an answer.
  var mountAt = root.querySelector(".r");
  var lang = cfg.locale || (/^pt/i.test(navigator.language) ? "pt-BR" : "en"), t = TEXTS[lang] || TEXTS.en;
  // When each rule was shown on this page too: where storage is blocked, a single-page
  // site still sees a once-a-day greeting once.
  var timers = [], path, box, over, watch, shownAt = {};
  function key(rule) { return "ca-greet-" + rule.id; }
  // Whether this visitor may see `rule` now, by its frequency.
  function due(rule) {
    var at = shownAt[rule.id];
    try { at = +localStorage.getItem(key(rule)) || at; } catch (e) {}
    return rule.frequency == "every_page" || !at || rule.frequency == "once_per_day" && Date.now() - at > DAY;
  }
  function stop() {
    timers.forEach(clearTimeout);
    timers = [];
  }
  // Restarts the clocks when the path changes: time counts on the page the visitor is on.
  // A greeting left unanswered goes with its page (single-page sites).
  function schedule() {
    if (here() == path) return;
    path = here();
    stop();
    if (box) box = box.remove();
    if (over) return;
    rules.forEach(function (rule) {
      if (matches(rule.path, path) && due(rule)) timers.push(setTimeout(function () { fire(rule); }, rule.delay_seconds * 1e3));
    });
  }
  function online() {
    return fetch(cfg.backendEndpoint + "/api/stats/" + encodeURIComponent(cfg.queueId || "default"))
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var o = s.observations || {};
        return s.open !== false && o.availableAgents + o.busyAgents > 0;
      });
  }
  function fire(rule) {
    if (box || over) return;
    (rule.only_when_online ? online() : Promise.resolve(true)).then(function (ok) {
      if (ok && !box && !over) show(rule);
    }, function () {});
  }
  function show(rule) {
    stop();
    shownAt[rule.id] = Date.now();
    try { localStorage.setItem(key(rule), shownAt[rule.id]); } catch (e) {}
    box = document.createElement("div");
    box.className = "g";
    box.setAttribute("role", "dialog");
    box.dataset.testid = "greeting";
    box.style[cfg.position == "bottom-left" ? "left" : "right"] = "20px";
    box.innerHTML = "<style>" + CSS + "</style><button class=x type=button>×</button><b></b><p></p>" +
      "<form><input maxlength=1000 autocomplete=off><button class=s type=submit></button></form>";
    var input = box.querySelector("input"), send = box.querySelector(".s"), close = box.querySelector(".x");
    box.querySelector("b").textContent = rule.from;
    box.querySelector("p").textContent = rule.text;
    box.setAttribute("aria-label", rule.from);
    input.placeholder = t.reply;
    input.setAttribute("aria-label", t.reply);
    send.textContent = t.send;
    send.style.background = cfg.backgroundColor || "#4498B4";
    send.style.color = cfg.color || "#F6F6F6";
    close.setAttribute("aria-label", t.close);
    close.onclick = end;
    box.querySelector("form").onsubmit = function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      mountAt.caSay.push({ type: "say", greeting: rule.id, queue: cfg.queueId, text: text });
      end();
      handle.open();
      // A chat connected already (autoConnect, or opened before) sends it now.
      mountAt.dispatchEvent(new Event("ca-attrs"));
    };
    root.appendChild(box);
  }
  // No more greetings on this page: answered, closed, or the chat was opened.
  function end() {
    over = 1;
    stop();
    clearInterval(watch);
    box && box.remove();
  }
  handle.on("opened", end);
  schedule();
  watch = setInterval(schedule, 1e3);
}
