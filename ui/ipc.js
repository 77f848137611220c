// The window's one way into the app: Tauri's public `invoke` (tauri.conf.json sets
// app.withGlobalTauri, which provides window.__TAURI__). Each command is allowed on its own in
// src-tauri/capabilities/default.json. A command answers its value, or fails with the app's
// error: `{kind, message}` plus what the kind carries (`retry_after` seconds, the server's
// `code` and `status`, the wrong `fields`); see src-tauri/src/error.rs.

const core = window.__TAURI__.core;

/** Runs the app's command `command` with named arguments. */
export function invoke(command, args = {}) {
  return core.invoke(command, args);
}

/** The sentence to show for a failure (Tauri's own refusals are plain strings). */
export function errorText(err) {
  if (typeof err === "string") return err;
  return (err && err.message) || String(err);
}

/** The app's kind of failure (`locked`, `throttled`, `fields`, `server`, …), "" for others. */
export function errorKind(err) {
  return (err && typeof err === "object" && typeof err.kind === "string") ? err.kind : "";
}
