/**
 * Mounts the Chimp Assist chat widget on this page and returns its handle.
 * The chat itself (WebAssembly) is a separate chunk, fetched when the visitor opens it.
 */
export function mount(config) {
  return caMount(config, function () {
    return import("./chat/chimpassist_widget.js").then(function (m) {
      return m.default().then(function () { return m; });
    });
  }, function () { return import("./chat/greet.js"); });
}
