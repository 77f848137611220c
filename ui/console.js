// Keygate's admin console: an ES module over the app's console_* commands (through ipc.js),
// one per operation. Every rule (2FA, throttling, permissions) is the server's; this only shows
// its answers. Server data is put in the page with textContent, never as HTML.

import { errorKind, errorText, invoke } from "./ipc.js";

const $ = (id) => document.getElementById(id);

let status = null;
let step = null; // null | "otp" | "setup"
let userPage = 1;
let auditPage = 1;
let selectedUser = null;
let enrolDevice = null;
let busyCount = 0;
let messageTimer = null;

function say(text, isError) {
  const m = $("console-message");
  m.textContent = text;
  m.className = isError ? "error" : "";
  m.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { m.hidden = true; }, isError ? 10000 : 4000);
}

// Runs a command with a progress indicator (password hashing and the network take time);
// failures are shown and return undefined.
async function run(cmd, args) {
  // A new attempt replaces the last refusal.
  if ($("console-message").className === "error") $("console-message").hidden = true;
  busyCount++;
  $("console-busy").hidden = false;
  $("console-view").setAttribute("aria-busy", "true");
  try {
    return await invoke(cmd, args);
  } catch (err) {
    say(errorText(err), true);
    // Signed out or disconnected meanwhile (session expired or revoked, server stopped):
    // show where the console stands now.
    // (Directly: through run() the status call would hide the message.)
    const kind = errorKind(err);
    if (kind === "not_connected" || (kind === "server" && err.code === "unauthenticated")) {
      invoke("console_status").then(applyStatus, () => {});
    }
    return undefined;
  } finally {
    busyCount--;
    if (busyCount === 0) {
      $("console-busy").hidden = true;
      $("console-view").removeAttribute("aria-busy");
    }
  }
}

// A confirmation in the page's own dialog (the webview may have no native one).
function ask(text) {
  const dialog = $("console-confirm");
  $("console-confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}


function svgImage(img, svg) {
  img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(svg)));
}

function when(unix) {
  return unix ? new Date(unix * 1000).toLocaleString() : "never";
}

function selectTab(name) {
  for (const tab of ["authenticator", "console"]) {
    const on = tab === name;
    $("tab-" + tab).setAttribute("aria-selected", String(on));
    $(tab + "-view").hidden = !on;
  }
  if (name === "console") refreshStatus();
}

function show(panel) {
  for (const id of ["console-connect", "console-first-admin", "console-login", "console-setup", "console-code", "console-admin"]) {
    $(id).hidden = id !== panel && !(panel === "console-setup" && id === "console-code");
  }
}

async function refreshStatus() {
  const s = await run("console_status");
  if (s === undefined) return;
  applyStatus(s);
}

function applyStatus(s) {
  status = s;
  $("console-disconnect").hidden = !s.connected;
  $("console-logout").hidden = !s.user;
  $("console-where").textContent = s.connected
    ? (s.embedded ? "Embedded server " : "") + s.url + (s.fingerprint ? " · certificate " + s.fingerprint.slice(0, 23) + "…" : "")
    : "Not connected";
  if (!s.connected) { step = null; show("console-connect"); return; }
  if (s.user) {
    step = null;
    show("console-admin");
    $("console-where").textContent += " · signed in as " + s.user.username;
    loadUsers();
    return;
  }
  if (s.needs_first_admin) { show("console-first-admin"); return; }
  if (step === "setup") { show("console-setup"); return; }
  if (step === "otp") { show("console-code"); return; }
  show("console-login");
}

async function afterStep(next) {
  if (next === undefined) return;
  if (next === "done") {
    step = null;
    $("console-token").value = "";
    await refreshStatus();
  } else if (next === "setup") {
    step = "setup";
    const setup = await run("console_begin_setup");
    if (setup === undefined) return;
    svgImage($("console-setup-qr"), setup.qr_svg);
    show("console-setup");
    $("console-setup-add").focus();
  } else {
    step = "otp";
    show("console-code");
    $("console-token").focus();
  }
}

// Users ---------------------------------------------------------------------------------

async function loadUsers() {
  const page = await run("console_list_users", { query: $("console-user-search").value, page: userPage });
  if (page === undefined) return;
  const body = $("console-user-table").tBodies[0];
  body.replaceChildren(...page.users.map((u) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = u.username;
    open.addEventListener("click", () => openUser(u));
    name.append(open);
    const email = document.createElement("td");
    email.textContent = u.email;
    const state = document.createElement("td");
    state.textContent = (u.is_active ? "active" : "inactive") + (u.is_superuser ? ", superuser" : u.is_staff ? ", staff" : "");
    tr.append(name, email, state);
    return tr;
  }));
  const pages = Math.max(1, Math.ceil(page.total / page.per_page));
  $("console-users-page").textContent = `page ${page.page} of ${pages} (${page.total} users)`;
  $("console-users-prev").disabled = page.page <= 1;
  $("console-users-next").disabled = page.page >= pages;
}

async function openUser(u) {
  selectedUser = u;
  $("console-user").hidden = false;
  $("console-user-title").textContent = u.username + (u.display_name ? " (" + u.display_name + ")" : "");
  $("console-user-active").textContent = u.is_active ? "Deactivate" : "Activate";
  $("console-enrol").hidden = true;
  $("console-backup").hidden = true;
  await Promise.all([loadDevices(), loadSessions()]);
}

async function loadDevices() {
  const devices = await run("console_list_devices", { user_id: selectedUser.id });
  if (devices === undefined) return;
  $("console-devices").replaceChildren(...devices.map((d) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${d.name} — ${d.kind}${d.confirmed ? "" : " (not confirmed)"}`;
    li.append(label);
    if (d.kind === "static") {
      const regen = document.createElement("button");
      regen.type = "button";
      regen.textContent = "New backup codes";
      regen.addEventListener("click", async () => {
        const answer = await run("console_regenerate_codes", { device_id: d.id });
        if (answer) showBackupCodes(answer.backup_codes);
      });
      li.append(" ", regen);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "danger";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove device " + d.name);
    remove.addEventListener("click", async () => {
      if (!await ask(`Remove the device “${d.name}” of ${selectedUser.username}?`)) return;
      if (await run("console_delete_device", { device_id: d.id }) !== undefined) {
        say("Device removed.");
        await refreshStatus();
        if (status && status.user) await loadDevices();
      }
    });
    li.append(" ", remove);
    return li;
  }));
}

function showBackupCodes(codes) {
  $("console-backup-codes").replaceChildren(...codes.map((c) => {
    const li = document.createElement("li");
    li.textContent = c;
    return li;
  }));
  $("console-backup").hidden = false;
}

async function loadSessions() {
  const sessions = await run("console_list_sessions", { user_id: selectedUser.id });
  if (sessions === undefined) return;
  $("console-sessions").replaceChildren(...sessions.map((s) => {
    const li = document.createElement("li");
    li.textContent = `${s.ip} · ${s.user_agent || "unknown client"} · since ${when(s.created_at)}${s.current ? " (this session)" : ""}${s.verified ? "" : " (not verified)"}`;
    const revoke = document.createElement("button");
    revoke.type = "button";
    revoke.textContent = "Revoke";
    revoke.addEventListener("click", async () => {
      if (await run("console_revoke_session", { session_id: s.id }) !== undefined) {
        say("Session revoked.");
        if (s.current) await refreshStatus(); else await loadSessions();
      }
    });
    li.append(" ", revoke);
    return li;
  }));
}

// Audit ---------------------------------------------------------------------------------

async function loadAudit() {
  const filter = { page: auditPage };
  for (const f of ["actor", "action", "target"]) filter[f] = $("audit-" + f).value.trim();
  const page = await run("console_audit", { filter });
  if (page === undefined) return;
  $("console-audit-table").tBodies[0].replaceChildren(...page.entries.map((e) => {
    const tr = document.createElement("tr");
    for (const text of [when(e.at), e.actor, e.action, e.target, e.ip]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  const pages = Math.max(1, Math.ceil(page.total / page.per_page));
  $("audit-page").textContent = `page ${page.page} of ${pages} (${page.total} entries)`;
  $("audit-prev").disabled = page.page <= 1;
  $("audit-next").disabled = page.page >= pages;
}

function section(name) {
  $("console-show-users").setAttribute("aria-pressed", String(name === "users"));
  $("console-show-audit").setAttribute("aria-pressed", String(name === "audit"));
  $("console-users").hidden = name !== "users";
  $("console-user").hidden = name !== "users" || !selectedUser;
  $("console-audit").hidden = name !== "audit";
  if (name === "audit") loadAudit(); else loadUsers();
}

// Wiring --------------------------------------------------------------------------------

const onSubmit = (id, handler) => $(id).addEventListener("submit", (e) => { e.preventDefault(); handler(); });

$("tab-authenticator").addEventListener("click", () => selectTab("authenticator"));
$("tab-console").addEventListener("click", () => selectTab("console"));

$("console-start-embedded").addEventListener("click", async () => {
  const s = await run("console_start_embedded");
  if (s) applyStatus(s);
});
onSubmit("console-remote-form", async () => {
  const s = await run("console_connect", { url: $("console-url").value, fingerprint: $("console-fingerprint").value || null });
  if (s) applyStatus(s);
});
$("console-disconnect").addEventListener("click", async () => {
  await run("console_disconnect");
  selectedUser = null;
  step = null;
  await refreshStatus();
});
$("console-logout").addEventListener("click", async () => {
  await run("console_logout");
  selectedUser = null;
  $("console-user").hidden = true;
  await refreshStatus();
});
onSubmit("first-admin-form", async () => {
  const done = await run("console_create_first_admin", {
    username: $("first-admin-username").value,
    email: $("first-admin-email").value,
    password: $("first-admin-password").value,
  });
  $("first-admin-password").value = "";
  if (done === undefined) return;
  say("Admin created: sign in.");
  $("console-username").value = $("first-admin-username").value;
  await refreshStatus();
  $("console-password").focus();
});
onSubmit("console-login-form", async () => {
  const next = await run("console_login", { username: $("console-username").value, password: $("console-password").value });
  $("console-password").value = "";
  await afterStep(next);
});
$("console-setup-add").addEventListener("click", async () => {
  const added = await run("console_setup_add");
  if (added === undefined) return;
  say("Added to your authenticator.");
  const code = await run("console_own_code");
  if (code) $("console-token").value = code;
  $("console-token").focus();
});
$("console-fill").addEventListener("click", async () => {
  const code = await run("console_own_code");
  if (code === undefined) return;
  if (code) $("console-token").value = code;
  else say("Your authenticator has no account for this user (or it is locked).", true);
});
onSubmit("console-code-form", async () => {
  const token = $("console-token").value;
  const next = await run(step === "setup" ? "console_confirm_setup" : "console_verify", { token });
  if (next !== undefined) $("console-token").value = "";
  await afterStep(next);
});

let searchTimer = null;
$("console-user-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { userPage = 1; loadUsers(); }, 250);
});
$("console-users-prev").addEventListener("click", () => { userPage = Math.max(1, userPage - 1); loadUsers(); });
$("console-users-next").addEventListener("click", () => { userPage++; loadUsers(); });
onSubmit("console-new-user-form", async () => {
  const user = await run("console_create_user", { user: {
    username: $("new-user-username").value,
    email: $("new-user-email").value,
    password: $("new-user-password").value,
    is_staff: $("new-user-staff").checked,
    is_superuser: $("new-user-superuser").checked,
  } });
  $("new-user-password").value = "";
  if (user === undefined) return;
  say(`User ${user.username} created.`);
  $("console-new-user-form").reset();
  $("console-new-user").open = false;
  await loadUsers();
  await openUser(user);
});
$("console-user-active").addEventListener("click", async () => {
  const user = await run("console_set_user_active", { user_id: selectedUser.id, active: !selectedUser.is_active });
  if (user === undefined) return;
  await loadUsers();
  await openUser(user);
});
$("console-user-reset").addEventListener("click", async () => {
  if (!await ask(`Remove every device of ${selectedUser.username} and end their sessions?`)) return;
  const answer = await run("console_reset_2fa", { user_id: selectedUser.id });
  if (answer === undefined) return;
  say(`${answer.devices_removed} device(s) removed.`);
  await refreshStatus();
  if (status && status.user) await openUser(selectedUser);
});
onSubmit("console-new-device-form", async () => {
  const kind = $("new-device-kind").value;
  const created = await run("console_add_device", { user_id: selectedUser.id, kind, name: $("new-device-name").value });
  if (created === undefined) return;
  $("new-device-name").value = "";
  $("console-enrol").hidden = true;
  $("console-backup").hidden = true;
  if (created.qr_svg) {
    enrolDevice = created.device.id;
    svgImage($("console-enrol-qr"), created.qr_svg);
    $("console-enrol").hidden = false;
    $("console-enrol-token").focus();
  } else if (created.backup_codes) {
    showBackupCodes(created.backup_codes);
  } else if (kind === "email") {
    enrolDevice = created.device.id;
    $("console-enrol-qr").removeAttribute("src");
    $("console-enrol").hidden = false;
    say("A code was sent by email: enter it to confirm.");
  }
  await loadDevices();
});
onSubmit("console-enrol-form", async () => {
  const device = await run("console_confirm_device", { device_id: enrolDevice, token: $("console-enrol-token").value });
  if (device === undefined) return;
  $("console-enrol-token").value = "";
  $("console-enrol").hidden = true;
  say("Device confirmed.");
  await loadDevices();
});

$("console-show-users").addEventListener("click", () => section("users"));
$("console-show-audit").addEventListener("click", () => section("audit"));
onSubmit("console-audit-form", () => { auditPage = 1; loadAudit(); });
$("audit-prev").addEventListener("click", () => { auditPage = Math.max(1, auditPage - 1); loadAudit(); });
$("audit-next").addEventListener("click", () => { auditPage++; loadAudit(); });
