// Script-tag entry: configuration from window.ChimpAssistConfig and the tag's data-*
// attributes (they win); the server is the script's own origin unless configured.
(function () {
  var s = document.currentScript, base = new URL(".", s.src).href, cfg = {}, k, c = window.ChimpAssistConfig || {};
  for (k in c) cfg[k] = c[k];
  for (k in s.dataset) cfg[k] = s.dataset[k];
  if (!cfg.backendEndpoint) cfg.backendEndpoint = new URL(s.src).origin;
  function go() {
    window.ChimpAssist = caMount(cfg, function () {
      return import(base + "widget/__CHAT_JS__").then(function (m) {
        return m.default({ module_or_path: base + "widget/__CHAT_WASM__" }).then(function () { return m; });
      });
    });
  }
  document.body ? go() : document.addEventListener("DOMContentLoaded", go);
})();
