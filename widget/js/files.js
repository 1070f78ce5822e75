// Chimp Assist files: the tray of files being attached and the files of messages, shared by
// the widget (a lazy chunk, fetched when a file first concerns the visitor) and the
// back-office (imported as is).
//
// `fileTray(o)` puts a tray in `o.tray` and takes files from a picker, paste (`o.paste`) and
// drag-and-drop (`o.drop`). Each file is checked against `o.max` bytes first (the server says
// the same, later), then uploaded at once to `o.base + /api/attachments` with a progress bar,
// Cancel, and Retry after a failure (the same client id, so a retry never keeps two copies).
// `o.token()` is the customer's token (the widget) or null (the back-office: its cookie goes
// along). `o.conversation()` names the conversation; `o.changed()` hears every change.
// Returns {pick(), add(files), state(), take(), clear()}: `state()` is "empty", "busy" (an
// upload goes on or failed) or "ready"; `take()` gives the uploaded files (JSON text of the
// server's descriptions) and empties the tray.
//
// `showFiles(el, files, base, lang)` draws a message's files: raster images with a thumbnail
// as a button opening the full picture in a lightbox (Escape or the close button closes it,
// focus goes back), everything else as a download card (name, kind, size). Text goes in with
// textContent, never as HTML; links only to the server's own signed paths.

var WORDS = {
  en: {
    attach: "Attach a file", remove: "Remove", cancel: "Cancel", retry: "Retry",
    uploading: "Uploading", failed: "Not sent", tooLarge: "Larger than {}",
    lost: "The connection was lost", close: "Close", open: "Open {}", download: "Download {}",
    file: "File"
  },
  "pt-BR": {
    attach: "Anexar arquivo", remove: "Remover", cancel: "Cancelar", retry: "Tentar de novo",
    uploading: "Enviando", failed: "Não enviado", tooLarge: "Maior que {}",
    lost: "A conexão caiu", close: "Fechar", open: "Abrir {}", download: "Baixar {}",
    file: "Arquivo"
  }
};

var CSS = ".cft{list-style:none;margin:0;padding:4px 8px;display:flex;flex-direction:column;gap:4px}" +
  ".cft:empty{display:none}.cft li{display:flex;align-items:center;gap:6px;font-size:13px;" +
  "padding:4px 6px;border-radius:6px;background:rgba(127,127,127,.12)}" +
  ".cft .n{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
  ".cft progress{width:64px}.cft .e{color:#b3261e}.cft button{font:inherit;font-size:12px;" +
  "padding:2px 6px;border-radius:4px;border:1px solid currentColor;background:none;color:inherit;cursor:pointer}" +
  ".cff{display:flex;flex-wrap:wrap;gap:6px;margin-top:4px}.cff button{padding:0;border:0;background:none;" +
  "cursor:zoom-in;border-radius:8px;overflow:hidden;line-height:0}.cff img{max-width:240px;max-height:240px;" +
  "width:auto;height:auto;display:block;background:rgba(127,127,127,.2)}" +
  ".cff a{display:flex;flex-direction:column;min-width:140px;max-width:240px;padding:6px 10px;border-radius:8px;" +
  "border:1px solid rgba(127,127,127,.4);color:inherit;text-decoration:none;font-size:13px}" +
  ".cff a b{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.cff a span{opacity:.75;font-size:12px}" +
  ".cfb{position:fixed;inset:0;z-index:2147483003;background:rgba(0,0,0,.85);display:flex;" +
  "align-items:center;justify-content:center}.cfb img{max-width:94vw;max-height:88vh}" +
  ".cfb button{position:absolute;top:12px;right:12px;font:600 16px system-ui,sans-serif;padding:8px 12px;" +
  "border-radius:8px;border:0;background:#fff;color:#111;cursor:pointer}";

function words(lang) {
  return WORDS[lang] || WORDS[(lang || "").slice(0, 2) === "pt" ? "pt-BR" : "en"];
}

function say(text, arg) {
  return text.replace("{}", arg);
}

// Once per root (a shadow root or the document's head).
function style(root) {
  var host = root.head || root;
  if (host.querySelector && host.querySelector("style[data-cf]")) return;
  var s = document.createElement("style");
  s.setAttribute("data-cf", "");
  s.textContent = CSS;
  host.appendChild(s);
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

export function size(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1048576) return Math.ceil(bytes / 1024) + " KB";
  return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  var b = crypto.getRandomValues(new Uint8Array(16)), h = "";
  b[6] = b[6] & 15 | 64;
  b[8] = b[8] & 63 | 128;
  for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + ([3, 5, 7, 9].indexOf(i) >= 0 ? "-" : "");
  return h;
}

export function fileTray(o) {
  var w = words(o.lang), items = [], list = el("ul", "cft");
  style(o.styleRoot || o.tray.getRootNode());
  list.setAttribute("aria-live", "polite");
  list.setAttribute("data-testid", "file-tray");
  o.tray.appendChild(list);
  var input = el("input");
  input.type = "file";
  input.multiple = true;
  input.hidden = true;
  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  o.tray.appendChild(input);

  function changed() {
    draw();
    if (o.changed) o.changed();
  }

  function upload(item) {
    var xhr = new XMLHttpRequest(), form = new FormData();
    item.state = "up";
    item.pct = 0;
    item.error = "";
    item.xhr = xhr;
    form.append("conversation", o.conversation());
    form.append("client_id", item.key);
    form.append("file", item.file, item.file.name);
    xhr.open("POST", o.base + "/api/attachments");
    var token = o.token && o.token();
    if (token) xhr.setRequestHeader("Authorization", "Bearer " + token);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        item.pct = e.loaded / e.total;
        draw();
      }
    };
    xhr.onload = function () {
      item.xhr = null;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) {}
      if (xhr.status == 200 || xhr.status == 201) {
        item.state = "done";
        item.info = body;
      } else {
        item.state = "failed";
        item.error = body.message || w.failed;
      }
      changed();
    };
    xhr.onerror = function () {
      item.xhr = null;
      item.state = "failed";
      item.error = w.lost;
      changed();
    };
    xhr.send(form);
  }

  function add(files) {
    for (var i = 0; i < (files ? files.length : 0); i++) {
      var item = { file: files[i], key: uuid() };
      items.push(item);
      if (item.file.size > o.max) {
        item.state = "failed";
        item.error = say(w.tooLarge, size(o.max));
        item.fatal = true;
      } else {
        upload(item);
      }
    }
    changed();
  }

  function drop(item) {
    if (item.xhr) item.xhr.abort();
    items.splice(items.indexOf(item), 1);
    changed();
  }

  function button(label, act, name) {
    var b = el("button", "", label);
    b.type = "button";
    b.setAttribute("aria-label", label + " " + name);
    b.addEventListener("click", act);
    return b;
  }

  function draw() {
    list.textContent = "";
    items.forEach(function (item) {
      var li = el("li"), name = item.file.name;
      li.appendChild(el("span", "n", name + " · " + size(item.file.size)));
      if (item.state == "up") {
        var bar = el("progress");
        bar.max = 1;
        bar.value = item.pct;
        bar.setAttribute("aria-label", w.uploading + " " + name);
        li.appendChild(bar);
        li.appendChild(button(w.cancel, function () { drop(item); }, name));
      } else {
        if (item.state == "failed") {
          li.appendChild(el("span", "e", item.error));
          if (!item.fatal) li.appendChild(button(w.retry, function () { upload(item); changed(); }, name));
        }
        li.appendChild(button(w.remove, function () { drop(item); }, name));
      }
      list.appendChild(li);
    });
  }

  function files(e) {
    var dt = e.clipboardData || e.dataTransfer;
    return dt && dt.files && dt.files.length ? dt.files : null;
  }
  if (o.paste) o.paste.addEventListener("paste", function (e) {
    var f = files(e);
    if (f) {
      e.preventDefault();
      add(f);
    }
  });
  if (o.drop) {
    o.drop.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) e.preventDefault();
    });
    o.drop.addEventListener("drop", function (e) {
      var f = files(e);
      if (f) {
        e.preventDefault();
        add(f);
      }
    });
  }

  return {
    pick: function () { input.click(); },
    add: add,
    state: function () {
      if (!items.length) return "empty";
      return items.every(function (i) { return i.state == "done"; }) ? "ready" : "busy";
    },
    take: function () {
      var done = items.map(function (i) { return i.info; });
      items = [];
      changed();
      return JSON.stringify(done);
    },
    clear: function () {
      items.forEach(function (i) { if (i.xhr) i.xhr.abort(); });
      items = [];
      changed();
    }
  };
}

function lightbox(root, src, name, w, back) {
  var box = el("div", "cfb"), img = el("img"), close = el("button", "", w.close);
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.setAttribute("aria-label", name);
  box.setAttribute("data-testid", "lightbox");
  img.src = src;
  img.alt = name;
  close.type = "button";
  function shut() {
    box.remove();
    document.removeEventListener("keydown", key, true);
    back.focus();
  }
  function key(e) {
    if (e.key == "Escape") {
      e.stopPropagation();
      shut();
    } else if (e.key == "Tab") {
      e.preventDefault();
      close.focus();
    }
  }
  close.addEventListener("click", shut);
  box.addEventListener("click", function (e) { if (e.target == box) shut(); });
  document.addEventListener("keydown", key, true);
  box.appendChild(img);
  box.appendChild(close);
  (root.body || root).appendChild(box);
  close.focus();
}

export function showFiles(target, files, base, lang) {
  var w = words(lang), root = target.getRootNode(), wrap = el("div", "cff");
  style(root);
  target.textContent = "";
  (typeof files == "string" ? JSON.parse(files) : files).forEach(function (f) {
    var url = base + f.url;
    if (f.thumbnail_url) {
      var b = el("button"), img = el("img");
      b.type = "button";
      b.setAttribute("aria-label", say(w.open, f.name));
      img.src = base + f.thumbnail_url;
      img.alt = f.name;
      img.loading = "lazy";
      if (f.width && f.height) {
        var scale = Math.min(1, 240 / f.width, 240 / f.height);
        img.width = Math.round(f.width * scale);
        img.height = Math.round(f.height * scale);
      }
      b.appendChild(img);
      b.addEventListener("click", function () { lightbox(root, url, f.name, w, b); });
      wrap.appendChild(b);
    } else {
      var a = el("a");
      a.href = url;
      a.download = f.name;
      a.rel = "noopener";
      a.setAttribute("aria-label", say(w.download, f.name));
      a.appendChild(el("b", "", f.name));
      var kind = (f.content_type.split("/")[1] || w.file).replace(/^vnd\..*(document|sheet|presentation).*$/, "$1");
      a.appendChild(el("span", "", kind.toUpperCase() + " · " + size(f.size)));
      wrap.appendChild(a);
    }
  });
  target.appendChild(wrap);
}
