// Chimp Assist calls: the call engine and its screen, shared by the widget (a lazy chunk,
// fetched when a call first concerns the visitor) and the back-office (imported as is).
//
// It speaks the protocol's call frames (crates/protocol/src/call.rs) over the chat's own
// WebSocket and does WebRTC itself: the inviting side offers (also for an ICE restart), the
// accepting side only answers, candidates wait for the remote description. It never parses
// chat frames beyond what calls need, and renders only text (textContent), never HTML.
//
// `calls(root, role, lang, hooks)` returns {frame(ws, text), socket(ws), invite(conversation,
// media)}. `root` receives the call card; `role` is "customer" or "attendant"; `hooks.mayCall`
// (optional) hears whether the visitor may ask for a call now (the widget draws its buttons).
// The card carries its RTCPeerConnection as `card.pc`, so a test can read `getStats()`.

var TEXTS = {
  en: {
    video: "Video call", voice: "Voice call", calling: "Calling {}…", incoming: "{} is calling",
    accept: "Accept", decline: "Decline", cancel: "Cancel", hangUp: "Hang up",
    mute: "Mute", unmute: "Unmute", cameraOff: "Turn camera off", cameraOn: "Turn camera on",
    share: "Share screen", stopShare: "Stop sharing", connecting: "Connecting…",
    reconnecting: "Reconnecting…", close: "Close", call: "Call",
    elsewhere: "The call goes on in another window",
    askVoice: "Ask for a voice call", askVideo: "Ask for a video call",
    refused: "Your camera or microphone is blocked. Allow it in the browser to call; the chat goes on.",
    ended: {
      hung_up: "Call ended", declined: "Call declined", missed: "No answer",
      failed: "The connection was lost: call ended", disconnected: "The other side left the call",
      conversation_ended: "The conversation ended, and the call with it",
      transferred: "The conversation was transferred: call ended"
    },
    errors: { call_in_progress: "A call is already going on in this conversation",
      calls_not_allowed: "Calls are not available here",
      rate_limited: "You asked a moment ago: try again in a little while",
      other: "The call could not be made" }
  },
  "pt-BR": {
    video: "Chamada de vídeo", voice: "Chamada de voz", calling: "Chamando {}…",
    incoming: "{} está chamando", accept: "Atender", decline: "Recusar", cancel: "Cancelar",
    hangUp: "Desligar", mute: "Silenciar", unmute: "Ativar som", cameraOff: "Desligar câmera",
    cameraOn: "Ligar câmera", share: "Compartilhar tela", stopShare: "Parar de compartilhar",
    connecting: "Conectando…", reconnecting: "Reconectando…", close: "Fechar", call: "Chamada",
    elsewhere: "A chamada continua em outra janela",
    askVoice: "Pedir uma chamada de voz", askVideo: "Pedir uma chamada de vídeo",
    refused: "Sua câmera ou microfone está bloqueado. Permita no navegador para chamar; o chat continua.",
    ended: {
      hung_up: "Chamada encerrada", declined: "Chamada recusada", missed: "Sem resposta",
      failed: "A conexão caiu: chamada encerrada", disconnected: "O outro lado saiu da chamada",
      conversation_ended: "A conversa terminou, e a chamada também",
      transferred: "A conversa foi transferida: chamada encerrada"
    },
    errors: { call_in_progress: "Já há uma chamada nesta conversa",
      calls_not_allowed: "Chamadas não estão disponíveis aqui",
      rate_limited: "Você pediu há pouco: tente de novo daqui a pouco",
      other: "Não foi possível fazer a chamada" }
  }
};

var CSS = ".cac{position:fixed;top:16px;right:16px;z-index:2147483002;width:320px;max-width:calc(100vw - 32px);" +
  "box-sizing:border-box;padding:12px;border-radius:12px;background:#1f2428;color:#fff;" +
  "font:14px/1.4 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.35)}" +
  ".cac[hidden]{display:none}.cac p{margin:0 0 8px}.cac .who{font-weight:600}" +
  ".cac .row{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}" +
  ".cac button{flex:1;min-height:40px;padding:6px 10px;border:0;border-radius:8px;cursor:pointer;" +
  "font:inherit;background:#3c4349;color:#fff}.cac button:focus-visible{outline:3px solid #8ab4f8;outline-offset:2px}" +
  ".cac button[aria-pressed=true]{background:#e8eaed;color:#1f2428}.cac .go{background:#188038}" +
  ".cac .stop{background:#d93025}.cac .vids{position:relative;margin:8px 0;background:#000;border-radius:8px;overflow:hidden}" +
  ".cac .vids[hidden]{display:none}.cac video{display:block;width:100%;max-height:50vh}" +
  ".cac .mine{position:absolute;right:6px;bottom:6px;width:30%;border-radius:6px;border:1px solid #fff}" +
  ".cac .time{font-variant-numeric:tabular-nums;opacity:.8;margin-left:8px}" +
  ".cac.dock{position:static;flex:none;width:auto;max-width:none;padding:8px 12px;border-radius:0;box-shadow:none}" +
  ".cac.dock video{max-height:150px;object-fit:contain}.cac.dock p{margin:0 0 4px}.cac.dock .row{margin-top:4px}" +
  "@media (max-width:600px){.cac,.cac.dock{position:fixed;inset:0;width:auto;max-width:none;border-radius:0;display:flex;" +
  "flex-direction:column;justify-content:center}.cac[hidden]{display:none}.cac video{max-height:60vh}}" +
  ".ca-ask{flex:none;width:32px;height:32px;border:0;border-radius:50%;cursor:pointer;" +
  "background:rgba(255,255,255,.2);color:inherit;display:inline-flex;align-items:center;justify-content:center}" +
  ".ca-ask svg{width:18px;height:18px;fill:currentColor}.ca-ask:focus-visible{outline:2px solid currentColor}";

// How long a dropped connection may try to come back (ICE restart) before the call ends.
var RESTORE_MS = 10000;

export function calls(root, role, lang, hooks) {
  var t = TEXTS[lang] || TEXTS.en, doc = root.ownerDocument;
  hooks = hooks || {};
  var ws = null, call = null, ice = null, pc = null, local = null, screen = null;
  var pending = [], early = [], lost = null, timer = null, startedAt = 0, ended = null;
  // `joined`: the call this window invited or accepted (the others of the same person only
  // watch it); `queueLets`: the conversation's queue lets the visitor ask for calls.
  var joined = null, queueLets = false;

  var style = doc.createElement("style");
  style.textContent = CSS;
  var card = doc.createElement("div");
  card.className = "cac";
  card.hidden = true;
  card.setAttribute("role", "region");
  card.setAttribute("aria-label", t.call);
  card.dataset.testid = "call";
  root.appendChild(style);
  root.appendChild(card);

  function el(tag, attrs, text) {
    var e = doc.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function button(text, testid, onclick, cls) {
    var b = el("button", { type: "button", "data-testid": testid, class: cls || "" }, text);
    b.onclick = onclick;
    return b;
  }
  // Whether the frame went out (the socket may be between reconnects).
  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
  function signal(s) { send({ type: "call_signal", call_id: call.id, signal: s }); }
  function other() { return call.started_by === role ? call.callee_name : call.caller_name; }
  function kind() { return call.media === "video" ? t.video : t.voice; }
  // (A function, so a name with `$&` in it is not read as a replacement pattern.)
  function fill(s, name) { return s.replace("{}", function () { return name; }); }

  // Where the card goes: docked where `hooks.dock()` says (the widget's open panel, under its
  // header), else floating over the page.
  function place() {
    var at = hooks.dock && hooks.dock();
    card.classList.toggle("dock", !!at);
    if (at && card.previousSibling !== at) at.after(card);
    else if (!at && card.parentNode !== root) root.appendChild(card);
  }

  // The card for where the call is. Live text is announced (role=status / alertdialog).
  function render(focus) {
    place();
    var now = root.getRootNode().activeElement;
    var had = now && card.contains(now) && now.dataset.testid;
    card.textContent = "";
    card.hidden = !call && !ended;
    card.pc = pc;
    if (ended && !call) {
      card.dataset.state = "ended";
      card.setAttribute("role", "status");
      card.appendChild(el("p", { "data-testid": "call-ended" }, ended));
      var row = el("div", { class: "row" });
      row.appendChild(button(t.close, "call-close", function () { ended = null; render(); }));
      card.appendChild(row);
      if (had) focusOn("call-close");
      return;
    }
    if (!call) { delete card.dataset.state; return; }
    var mine = call.started_by === role;
    card.dataset.call = call.id;
    card.dataset.state = call.state === "ringing" ? (mine ? "calling" : "incoming") : "active";
    card.setAttribute("role", call.state === "ringing" && !mine ? "alertdialog" : "region");
    var head = el("p", { "data-testid": "call-title" });
    head.appendChild(el("span", { class: "who" }, call.state === "ringing"
      ? fill(mine ? t.calling : t.incoming, other()) : other()));
    card.appendChild(head);
    var sub = el("p", { "aria-live": "polite" }, kind());
    if (call.state === "active") {
      var status = lost ? t.reconnecting : pc && pc.connectionState === "connected" ? "" : t.connecting;
      if (status) sub.textContent = kind() + " · " + status;
      // A timer, not announced every second (`aria-live` off inside the live line).
      sub.appendChild(el("span", { class: "time", role: "timer", "aria-live": "off",
        "data-testid": "call-time" }, clock()));
    }
    card.appendChild(sub);
    if (call.state === "active") card.appendChild(videos());
    var row = el("div", { class: "row" }), first;
    if (call.state === "ringing" && !mine) {
      row.appendChild(first = button(t.accept, "call-accept", accept, "go"));
      first.disabled = !!call.accepting;
      row.appendChild(button(t.decline, "call-decline", decline, "stop"));
    } else if (call.state === "ringing") {
      row.appendChild(first = button(t.cancel, "call-hangup", hangUp, "stop"));
    } else {
      var audio = local && local.getAudioTracks()[0];
      var muted = audio && !audio.enabled;
      row.appendChild(first = button(muted ? t.unmute : t.mute, "call-mute", toggleMute));
      first.setAttribute("aria-pressed", String(!!muted));
      if (call.media === "video") {
        var cam = local && local.getVideoTracks()[0];
        var off = !cam || !cam.enabled;
        var c = button(off ? t.cameraOn : t.cameraOff, "call-camera", toggleCamera);
        c.setAttribute("aria-pressed", String(off));
        c.disabled = !cam;
        row.appendChild(c);
        if (role === "attendant" && navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) {
          var s = button(screen ? t.stopShare : t.share, "call-share", toggleShare);
          s.setAttribute("aria-pressed", String(!!screen));
          row.appendChild(s);
        }
      }
      row.appendChild(button(t.hangUp, "call-hangup", hangUp, "stop"));
    }
    card.appendChild(row);
    if (had) focusOn(had);
    else if (focus && first && !typing(now) && !typing(doc.activeElement)) first.focus();
  }
  // Someone typing (the attendant in the composer) keeps their focus: a ring must not turn
  // their next Enter into an answer. The card is announced (alertdialog) either way.
  function typing(e) {
    return e && (e.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName));
  }

  var remoteVideo = null, localVideo = null;
  function videos() {
    var box = el("div", { class: "vids" });
    if (!remoteVideo) {
      remoteVideo = el("video", { autoplay: "", playsinline: "", "data-testid": "call-remote" });
      localVideo = el("video", { autoplay: "", playsinline: "", class: "mine" });
      localVideo.muted = true;
    }
    if (local && localVideo.srcObject !== local) localVideo.srcObject = local;
    box.appendChild(remoteVideo);
    if (call.media === "video") box.appendChild(localVideo);
    box.hidden = call.media !== "video";
    // A voice call still plays the other side's audio through the (hidden) element.
    return box;
  }
  function clock() {
    var s = startedAt ? Math.max(0, Math.floor((Date.now() - startedAt) / 1000)) : 0;
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // The camera and microphone; a refused video falls back to voice, a refused microphone
  // ends the attempt with a clear message.
  function media() {
    if (local) return Promise.resolve(local);
    var md = navigator.mediaDevices;
    if (!md) return Promise.reject(new Error("no media devices"));
    var want = { audio: true, video: call && call.media === "video" };
    return md.getUserMedia(want).catch(function (e) {
      if (!want.video) throw e;
      return md.getUserMedia({ audio: true });
    }).then(function (s) {
      local = s;
      return s;
    });
  }
  // The call is over here: said with `why`. A side that hangs up, declines or gives up ends
  // its call at once rather than on the server's `call_ended`, so a call the server lost
  // (its coordinator failed over) still ends when the user says so.
  function finish(why) {
    ended = why;
    call = null;
    reset();
    render();
  }
  function refused() { finish(t.refused); }

  function accept() {
    if (call.accepting) return;
    call.accepting = true;
    render(false);
    var id = call.id;
    media().then(function () {
      if (call && call.id === id) {
        joined = id;
        if (!send({ type: "call_accept", call_id: id })) finish(t.errors.other);
      // The call ended while the browser asked for the camera: let go of it.
      } else if (!call) reset();
    }, function () {
      send({ type: "call_decline", call_id: id });
      refused();
    });
  }
  function decline() {
    send({ type: "call_decline", call_id: call.id });
    finish(t.ended.declined);
  }
  function hangUp() {
    send({ type: "call_hangup", call_id: call.id });
    finish(t.ended.hung_up);
  }
  function toggleMute() {
    local && local.getAudioTracks().forEach(function (a) { a.enabled = !a.enabled; });
    render(false);
  }
  function toggleCamera() {
    local && local.getVideoTracks().forEach(function (v) { v.enabled = !v.enabled; });
    render(false);
  }
  function videoSender() {
    return pc && pc.getSenders().filter(function (s) { return s.track && s.track.kind === "video"; })[0];
  }
  function toggleShare() {
    var sender = videoSender();
    if (!sender) return;
    if (screen) return unshare();
    var id = call.id;
    navigator.mediaDevices.getDisplayMedia({ video: true }).then(function (s) {
      // The call ended while the picker was open: stop the capture at once.
      if (!call || call.id !== id || !pc) return s.getTracks().forEach(function (x) { x.stop(); });
      screen = s;
      var track = s.getVideoTracks()[0];
      track.onended = unshare;
      sender.replaceTrack(track);
      render(false);
    }, function () {});
  }
  function unshare() {
    var sender = videoSender(), cam = local && local.getVideoTracks()[0];
    if (screen) screen.getTracks().forEach(function (x) { x.stop(); });
    screen = null;
    if (sender && cam) sender.replaceTrack(cam);
    render(false);
  }
  function focusOn(testid) {
    var b = card.querySelector("[data-testid=" + testid + "]");
    b && b.focus();
  }

  // Asks the other side for a call (the customer) or calls them (the attendant).
  function invite(conversation, kindOfMedia) {
    if (call) return;
    var id = crypto.randomUUID();
    call = { id: id, media: kindOfMedia, pendingInvite: true };
    joined = id;
    media().then(function () {
      if (call && call.id === id) {
        var sent = send({ type: "call_invite", conversation: conversation, call_id: id, media: kindOfMedia });
        if (!sent) finish(t.errors.other);
      } else if (!call) reset();
    }, function () {
      if (call && call.id === id) refused();
    });
  }

  function connect() {
    if (pc || !ice || !call || call.state !== "active" || !local) return;
    try {
      pc = new RTCPeerConnection({ iceServers: ice });
    } catch (e) {
      send({ type: "call_hangup", call_id: call.id, reason: "failed" });
      return finish(t.ended.failed);
    }
    local.getTracks().forEach(function (track) { pc.addTrack(track, local); });
    pc.ontrack = function (e) {
      if (remoteVideo && e.streams[0] && remoteVideo.srcObject !== e.streams[0]) remoteVideo.srcObject = e.streams[0];
    };
    pc.onicecandidate = function (e) {
      var c = e.candidate;
      signal({ kind: "candidate", candidate: c
        ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
        : { candidate: "" } });
    };
    pc.onconnectionstatechange = watchConnection;
    if (call.started_by === role) offer(false);
    // A connection that never comes up ends like one that was lost.
    giveUpIn(2 * RESTORE_MS);
    // Signals that came before the connection existed (the offer may beat `call_ice`).
    var before = early;
    early = [];
    before.reduce(function (done, sig) {
      return done.then(function () { return onSignal(sig); });
    }, Promise.resolve()).catch(function () {});
    render(false);
  }
  function giveUpIn(ms) {
    var id = call.id;
    clearTimeout(lost);
    lost = setTimeout(function () {
      if (!call || call.id !== id) return;
      send({ type: "call_hangup", call_id: id, reason: "failed" });
      finish(t.ended.failed);
    }, ms);
  }
  function offer(restart) {
    return pc.createOffer({ iceRestart: restart }).then(function (o) {
      return pc.setLocalDescription(o);
    }).then(function () {
      signal({ kind: "offer", sdp: pc.localDescription.sdp });
    });
  }
  // A connection that fails (or stays disconnected) is restarted by the inviting side (a new
  // offer with fresh ICE credentials; `card.dataset.restarts` counts them); if it is not back
  // within RESTORE_MS, the call ends as failed on both sides.
  function watchConnection() {
    var state = pc && pc.connectionState;
    if (state === "connected") {
      if (!startedAt) startedAt = Date.now();
      clearTimeout(lost);
      lost = null;
    } else if ((state === "failed" || state === "disconnected") && !lost) {
      giveUpIn(RESTORE_MS);
      if (call.started_by === role) {
        setTimeout(function () {
          if (!pc || !lost || pc.connectionState === "connected") return;
          card.dataset.restarts = +(card.dataset.restarts || 0) + 1;
          offer(true).catch(function () {});
        }, state === "failed" ? 0 : 2000);
      }
    }
    render(false);
  }
  function onSignal(s) {
    if (!pc) return void early.push(s);
    if (s.kind === "offer" || s.kind === "answer") {
      var done = pc.setRemoteDescription({ type: s.kind, sdp: s.sdp });
      if (s.kind === "offer") {
        done = done.then(function () { return pc.createAnswer(); })
          .then(function (a) { return pc.setLocalDescription(a); })
          .then(function () { signal({ kind: "answer", sdp: pc.localDescription.sdp }); });
      }
      return done.then(function () {
        var queued = pending;
        pending = [];
        queued.forEach(function (c) { pc.addIceCandidate(c); });
      });
    }
    if (s.kind === "candidate" && s.candidate.candidate) {
      if (pc.remoteDescription) return pc.addIceCandidate(s.candidate);
      pending.push(s.candidate);
    }
  }

  function reset() {
    if (pc) pc.close();
    if (local) local.getTracks().forEach(function (x) { x.stop(); });
    if (screen) screen.getTracks().forEach(function (x) { x.stop(); });
    clearTimeout(lost);
    clearInterval(timer);
    pc = local = screen = ice = lost = timer = null;
    remoteVideo = localVideo = null;
    pending = [];
    early = [];
    startedAt = 0;
    delete card.dataset.restarts;
  }

  function frame(socket, text) {
    ws = socket;
    var f;
    try { f = JSON.parse(text); } catch (e) { return; }
    var type = f.type;
    if (type === "welcome" || type === "assigned" || type === "conversation") {
      var st = f.conversation && f.conversation.status;
      var open = type === "assigned" || st === "assigned" || st === "active";
      // `conversation` frames say whether it is open; the queue's word comes with the others
      // (and stays through a resolve and a reopen).
      if (type !== "conversation") queueLets = !!f.may_call;
      tell(open && queueLets, f.conversation && (f.conversation.id || f.conversation));
      return;
    }
    // An error answering one of my call frames: a call not yet going on (my request, my
    // accept) ends with why; one going on carries on (a late signal), and one over is over.
    if (type === "error") {
      if (f.call_id && call && call.id === f.call_id && call.state !== "active") {
        finish(t.errors[f.code] || t.errors.other);
      }
      return;
    }
    if (type === "call") {
      var fresh = !call || call.id !== f.call.id;
      // Busy with another call (another conversation of the attendant's): a new one ringing
      // at me is declined, and nothing of mine is touched.
      if (fresh && call && !call.pendingInvite) {
        if (f.call.state === "ringing" && f.call.started_by !== role) {
          send({ type: "call_decline", call_id: f.call.id });
        }
        return;
      }
      // Answered or made in another window of mine: that window has the call.
      if (f.call.state === "active" && joined !== f.call.id) {
        if (call && call.id === f.call.id) finish(t.elsewhere);
        return;
      }
      var wasRinging = call && call.state === "ringing";
      call = f.call;
      ended = null;
      if (call.state === "active" && !timer) {
        timer = setInterval(function () {
          var c = card.querySelector("[data-testid=call-time]");
          if (c) c.textContent = clock();
        }, 1000);
      }
      render(fresh || wasRinging);
      if (call.state === "active") {
        (local ? Promise.resolve() : media()).then(connect, function () {
          send({ type: "call_hangup", call_id: call.id });
          refused();
        });
      }
    } else if (type === "call_ice" && call && call.id === f.call_id) {
      ice = f.ice_servers;
      connect();
    } else if (type === "call_signal" && call && call.id === f.call_id) {
      Promise.resolve(onSignal(f.signal)).catch(function () {});
    } else if (type === "call_ended" && call && call.id === f.call_id) {
      finish(t.ended[f.reason] || t.ended.hung_up);
    }
    if (type === "call_ended" && joined === f.call_id) joined = null;
  }

  // Whether the visitor may ask for a call now, told to the widget's hook.
  var conversation = null;
  function tell(may, conv) {
    if (conv) conversation = conv;
    if (hooks.mayCall) hooks.mayCall(may, conversation);
  }

  return {
    frame: frame,
    socket: function (socket) {
      ws = socket;
      socket.addEventListener("message", function (e) { frame(socket, e.data); });
    },
    invite: invite,
    place: place,
    texts: t
  };
}

// The widget's calls: the card docked under the chat's header while the panel is open (over
// the page, above the bubble, while it is closed), and "ask for a call" buttons in the header
// when the queue lets the visitor ask (the `may_call` of `welcome`/`assigned`).
export function widgetCalls(root, lang) {
  var buttons = [], panel = root.querySelector(".ca-panel");
  var ctl = calls(root, "customer", lang, { dock: function () {
    return panel.classList.contains("open") && panel.querySelector(".ca-header");
  }, mayCall: function (may, conversation) {
    buttons.forEach(function (b) { b.remove(); });
    buttons = [];
    var header = root.querySelector(".ca-header"), close = root.querySelector(".ca-close");
    if (!may || !header) return;
    [["voice", ctl.texts.askVoice, "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z"],
     ["video", ctl.texts.askVideo, "M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z"]]
      .forEach(function (d) {
        var b = root.ownerDocument.createElement("button");
        b.type = "button";
        b.className = "ca-ask";
        b.dataset.testid = "ask-" + d[0];
        b.setAttribute("aria-label", d[1]);
        b.title = d[1];
        b.innerHTML = "<svg viewBox='0 0 24 24' aria-hidden=true><path d='" + d[2] + "'/></svg>";
        b.onclick = function () { ctl.invite(conversation, d[0]); };
        header.insertBefore(b, close);
        buttons.push(b);
      });
  } });
  // The card follows the panel as it opens and closes.
  new MutationObserver(ctl.place).observe(panel, { attributes: true, attributeFilter: ["class"] });
  return ctl;
}
