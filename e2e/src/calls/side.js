// One side of a call, driven by the server's signalling frames over a chat socket: what the
// widget's and back-office's call code must do, written plainly so a test can run it in a
// real browser. `arguments[0]`: {role: "customer"|"attendant", ws, relayOnly, media}.
// It keeps its state in `window.__side`, which the test reads.
(function (opts) {
  const side = (window.__side = {
    role: opts.role, frames: [], errors: [], conversation: null, call: null,
    ice: null, pc: null, acceptedAt: null, flowingAt: null, ended: null, local: null,
    stats: null, pair: null,
  });
  const ws = new WebSocket(opts.ws);
  const send = (frame) => ws.send(JSON.stringify(frame));
  const signal = (s) => send({ type: "call_signal", call_id: side.call.id, signal: s });
  const uuid = () => crypto.randomUUID();
  let pendingCandidates = [];
  let callId = null;

  // A frame of another call than the last: forget that one's connection and figures.
  function track(id) {
    if (callId === id) return;
    callId = id;
    pendingCandidates = [];
    Object.assign(side, { call: null, ice: null, pc: null, acceptedAt: null, flowingAt: null,
      ended: null, stats: null, pair: null });
  }

  async function media() {
    if (!side.local) {
      side.local = await navigator.mediaDevices.getUserMedia({
        audio: true, video: opts.media === "video",
      });
    }
    return side.local;
  }

  async function connect() {
    if (side.pc || !side.ice || !side.call || side.call.state !== "active") return;
    const pc = (side.pc = new RTCPeerConnection({
      iceServers: side.ice,
      iceTransportPolicy: opts.relayOnly ? "relay" : "all",
    }));
    for (const track of (await media()).getTracks()) pc.addTrack(track, side.local);
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      signal({ kind: "candidate", candidate: c
        ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
        : { candidate: "" } });
    };
    watch();
    // The side that called offers; the side that accepted only answers.
    if (side.call.started_by === side.role) {
      await pc.setLocalDescription(await pc.createOffer());
      signal({ kind: "offer", sdp: pc.localDescription.sdp });
    }
  }

  async function onSignal(s) {
    const pc = side.pc;
    if (s.kind === "offer") {
      await pc.setRemoteDescription({ type: "offer", sdp: s.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      signal({ kind: "answer", sdp: pc.localDescription.sdp });
      for (const c of pendingCandidates) await pc.addIceCandidate(c);
      pendingCandidates = [];
    } else if (s.kind === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: s.sdp });
      for (const c of pendingCandidates) await pc.addIceCandidate(c);
      pendingCandidates = [];
    } else if (s.kind === "candidate" && s.candidate.candidate) {
      if (pc.remoteDescription) await pc.addIceCandidate(s.candidate);
      else pendingCandidates.push(s.candidate);
    }
  }

  // Media flows when every inbound stream received more bytes than 200 ms before, and video
  // frames were decoded.
  function watch() {
    let before = null;
    const tick = async () => {
      if (!side.pc || side.ended) return;
      const report = await side.pc.getStats();
      const inbound = {};
      let pair = null;
      report.forEach((s) => {
        if (s.type === "inbound-rtp") inbound[s.kind] = { bytes: s.bytesReceived, frames: s.framesDecoded || 0 };
        if (s.type === "candidate-pair" && s.state === "succeeded" && s.nominated) pair = s;
      });
      if (pair) {
        const local = report.get(pair.localCandidateId);
        side.pair = { local: local && local.candidateType };
      }
      side.stats = inbound;
      const kinds = opts.media === "video" ? ["audio", "video"] : ["audio"];
      const growing = before && kinds.every((k) => inbound[k] && before[k] && inbound[k].bytes > before[k].bytes);
      const decoded = opts.media !== "video" || (inbound.video && inbound.video.frames > 0);
      if (growing && decoded && !side.flowingAt) side.flowingAt = Date.now();
      before = inbound;
      setTimeout(tick, 200);
    };
    tick();
  }

  ws.onmessage = async (event) => {
    const f = JSON.parse(event.data);
    side.frames.push(f.type);
    try {
      if (f.type === "welcome" && side.role === "customer") send({ type: "start_chat" });
      else if (f.type === "assigned") {
        side.conversation = f.conversation.id || f.conversation;
      } else if (f.type === "call") {
        track(f.call.id);
        side.call = f.call;
        if (f.call.state === "ringing" && f.call.started_by !== side.role && opts.autoAccept) {
          await media();
          side.acceptedAt = Date.now();
          send({ type: "call_accept", call_id: f.call.id });
        }
        await connect();
      } else if (f.type === "call_ice") {
        track(f.call_id);
        side.ice = f.ice_servers;
        await connect();
      } else if (f.type === "call_signal") {
        await onSignal(f.signal);
      } else if (f.type === "call_ended") {
        side.ended = f;
        if (side.pc) side.pc.close();
      } else if (f.type === "error") {
        side.errors.push(f);
      }
    } catch (e) {
      side.errors.push({ code: "script", message: String(e) });
    }
  };
  ws.onopen = () => send({ type: "hello", protocol: 1 });
  side.invite = async (media) => {
    await window.__side_media_ready;
    send({ type: "call_invite", conversation: side.conversation, call_id: uuid(), media });
  };
  side.hangUp = () => send({ type: "call_hangup", call_id: side.call.id });
  window.__side_media_ready = media();
})(arguments[0]);
