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
    var text = e.data, call = /^\{"type":"(call|error"[^{}]*"call_id")/.test(text);
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
