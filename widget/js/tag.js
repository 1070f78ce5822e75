// Script-tag entry: configuration from window.ChimpAssistConfig and the tag's data-*
// attributes (they win); the server is the script's own origin unless configured.
(function () {
  var s = document.currentScript, base = new URL(".", s.src).href, cfg = {}, k, c = window.ChimpAssistConfig || {};
  for (k in c) cfg[k] = c[k];
  for (k in s.dataset) cfg[k] = s.dataset[k];
  if (!cfg.backendEndpoint) cfg.backendEndpoint = new URL(s.src).origin;
  function go() {
    window.ChimpAssist = caMount(cfg, function () {
      // `__CHAT__`: the chat's content-hashed name, shared by its .js and .wasm.
      var chat = base + "widget/__CHAT__.";
      return import(chat + "js").then(function (m) {
        return m.default({ module_or_path: chat + "wasm" }).then(function () { return m; });
      });
    }, function () { return import(base + "widget/__GREET_JS__"); });
  }
  document.body ? go() : document.addEventListener("DOMContentLoaded", go);
})();
