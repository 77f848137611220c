// Keygate's window: an ES module over the app's own Tauri commands (through ipc.js).

import { errorKind, errorText, invoke } from "./ipc.js";

const $ = (id) => document.getElementById(id);

let accounts = [];
let unlocked = false;
let renderedKey = "";
let hotpCodes = new Map();
let pendingDelete = null;
let pendingEdit = null;
let pendingQr = null;
let messageTimer = null;
// Drag and drop: the row being dragged (the list is not re-rendered meanwhile).
let dragId = null;
// Idle auto-lock: seconds without input (0: never) and when the last input happened.
let idleLockSecs = 300;
let lastInput = Date.now();
// Whether unlocking asks for the app password (as the app last said).
let hasAppPassword = false;
// Manual entry: fields the user has touched (their errors are shown) and the latest check.
const manualFields = ["issuer", "name", "secret", "kind", "algorithm", "digits", "period", "counter"];
let manualTouched = new Set();
let manualCheck = 0;

function groupCode(code) {
  // 123456 -> "123 456", 12345678 -> "1234 5678", 1234567 -> "123 4567"
  if (!code) return "";
  if (!/^\d+$/.test(code) || code.length < 6) return code;
  const half = Math.floor(code.length / 2);
  return code.slice(0, half) + " " + code.slice(half);
}

function initials(a) {
  const source = (a.issuer || a.name || "?").trim();
  const words = source.split(/[\s._@-]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : source.slice(0, 2);
  return letters.toUpperCase();
}

function labelOf(a) {
  return a.issuer ? a.issuer + (a.name ? " (" + a.name + ")" : "") : a.name;
}

function showMessage(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
  m.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { m.hidden = true; }, isError ? 10000 : 3000);
}

function matches(a, query) {
  if (!query) return true;
  const hay = ((a.issuer || "") + " " + a.name + " " + (a.note || "")).toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

// The order rows are shown in: favourites first, each group in the vault's order.
function displayed() {
  const query = $("search").value.trim();
  return accounts
    .filter((a) => matches(a, query))
    .sort((x, y) => Number(y.favourite) - Number(x.favourite));
}

function ring(a) {
  const period = a.period || 30;
  const left = a.seconds_left || 0;
  const r = 13, c = 2 * Math.PI * r;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 32 32");
  svg.setAttribute("class", "ring" + (left <= 5 ? " ending" : ""));
  svg.setAttribute("aria-hidden", "true");
  const track = document.createElementNS(ns, "circle");
  track.setAttribute("class", "track");
  const arc = document.createElementNS(ns, "circle");
  arc.setAttribute("class", "left");
  for (const el of [track, arc]) {
    el.setAttribute("cx", "16"); el.setAttribute("cy", "16"); el.setAttribute("r", String(r));
  }
  arc.setAttribute("stroke-dasharray", String(c));
  arc.setAttribute("stroke-dashoffset", String(c * (1 - left / period)));
  svg.append(track, arc);
  return svg;
}

function toolButton(text, className, ariaLabel, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = className;
  b.setAttribute("aria-label", ariaLabel);
  b.addEventListener("click", onClick);
  return b;
}

function row(a) {
  const who = labelOf(a);
  const li = document.createElement("li");
  li.className = "account" + (a.favourite ? " favourite" : "");
  li.dataset.id = a.id;
  li.tabIndex = 0;
  li.draggable = true;
  li.setAttribute("aria-label", who + (a.favourite ? ", favourite" : ""));

  const icon = document.createElement("span");
  icon.className = "initials";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = initials(a);

  const label = document.createElement("div");
  label.className = "label";
  const issuer = document.createElement("span");
  issuer.className = "issuer";
  issuer.textContent = a.issuer || a.name;
  label.append(issuer);
  if (a.issuer && a.name) {
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = " " + a.name;
    label.append(name);
  }
  if (a.note) {
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = a.note;
    label.append(note);
  }

  const code = document.createElement("button");
  code.type = "button";
  code.className = "code";
  if (a.problem) {
    code.classList.add("problem");
    code.textContent = a.problem;
    code.disabled = true;
  } else if (a.kind === "hotp") {
    code.textContent = groupCode(hotpCodes.get(a.id)) || "••• •••";
    code.dataset.code = hotpCodes.get(a.id) || "";
    code.title = "Copy";
  } else {
    code.textContent = groupCode(a.code) || "—";
    code.dataset.code = a.code || "";
    code.title = "Copy";
  }
  code.setAttribute("aria-label", "Copy code for " + who);
  code.addEventListener("click", () => copy(a));

  const next = document.createElement("span");
  next.className = "next";
  if (a.next_code) {
    next.textContent = "next " + groupCode(a.next_code);
  } else {
    next.hidden = true;
  }

  const side = document.createElement("div");
  side.className = "side";
  const star = toolButton(a.favourite ? "★" : "☆", "star", "Favourite " + who,
    () => setFavourite(a, !a.favourite));
  star.setAttribute("aria-pressed", String(a.favourite));
  star.title = a.favourite ? "Remove from favourites" : "Add to favourites";
  const top = document.createElement("div");
  top.className = "top";
  top.append(star);
  if (a.kind === "hotp") {
    const hotp = toolButton("Next code", "hotp-next", "Next code for " + who, () => nextHotp(a));
    top.append(hotp);
  } else if (a.seconds_left != null) {
    top.append(ring(a));
    const s = document.createElement("span");
    s.className = "seconds";
    s.textContent = a.seconds_left + " s";
    top.append(s);
  }
  const tools = document.createElement("div");
  tools.className = "tools";
  tools.append(
    toolButton("Edit", "edit", "Edit " + who, () => openEdit(a)),
    toolButton("QR", "qr", "Show the QR code of " + who, () => openQrConfirm(a)),
    toolButton("Delete", "delete", "Delete " + who, () => openDelete(a)),
  );
  side.append(top, tools);

  const main = document.createElement("div");
  main.className = "main";
  main.append(label, code, next);
  li.append(icon, main, side);
  wireRow(li, a);
  return li;
}

function wireRow(li, a) {
  li.addEventListener("keydown", (e) => {
    if (e.target !== li) return;
    if (e.key === "Enter") { e.preventDefault(); copy(a); }
    else if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      moveBy(a, e.key === "ArrowUp" ? -1 : 1);
    } else if (!e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      const sibling = e.key === "ArrowUp" ? li.previousElementSibling : li.nextElementSibling;
      if (sibling) sibling.focus();
    }
  });
  li.addEventListener("dragstart", (e) => {
    dragId = a.id;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", a.id);
    li.classList.add("dragging");
  });
  li.addEventListener("dragend", () => {
    dragId = null;
    li.classList.remove("dragging");
    for (const el of document.querySelectorAll("li.drop-target")) el.classList.remove("drop-target");
    renderedKey = "";
    refresh();
  });
  li.addEventListener("dragover", (e) => {
    const dragged = accounts.find((x) => x.id === dragId);
    // Rows move within their group: favourites stay first.
    if (!dragged || dragged.id === a.id || dragged.favourite !== a.favourite) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    li.classList.add("drop-target");
  });
  li.addEventListener("dragleave", () => li.classList.remove("drop-target"));
  li.addEventListener("drop", (e) => {
    e.preventDefault();
    li.classList.remove("drop-target");
    const id = dragId;
    dragId = null;
    if (id && id !== a.id) moveTo(id, a.id);
  });
}

// Puts account `id` where `targetId` is in the vault's order (before it when moving up, after
// it when moving down).
async function moveTo(id, targetId) {
  const position = accounts.findIndex((x) => x.id === targetId);
  if (position < 0) return;
  try {
    await invoke("move_account", { id, position });
    renderedKey = "";
    await refresh();
    const again = document.querySelector(`li.account[data-id="${id}"]`);
    if (again) again.focus();
  } catch (err) {
    showMessage(errorText(err), true);
  }
}

// Alt+Up / Alt+Down: swaps the row with its shown neighbour in the same group.
function moveBy(a, step) {
  const shown = displayed();
  const i = shown.findIndex((x) => x.id === a.id);
  const neighbour = shown[i + step];
  if (!neighbour || neighbour.favourite !== a.favourite) return;
  moveTo(a.id, neighbour.id);
}

function render() {
  const shown = displayed();
  const list = $("accounts");
  const active = document.activeElement;
  const focusedRow = active && active.closest ? active.closest("li.account") : null;
  const focusedId = focusedRow ? focusedRow.dataset.id : null;
  const focusedClass = focusedRow && active !== focusedRow ? active.className.split(" ")[0] : "";
  list.replaceChildren(...shown.map(row));
  if (focusedId) {
    const rowAgain = list.querySelector(`li[data-id="${focusedId}"]`);
    const again = rowAgain && focusedClass ? rowAgain.querySelector("." + focusedClass) : rowAgain;
    if (again) again.focus();
  }
  $("empty").hidden = accounts.length !== 0;
  $("reorder-hint").hidden = accounts.length < 2;
}

function closeSecretDialogs() {
  for (const id of ["qr-dialog", "qr-confirm-dialog", "edit-dialog", "delete-dialog", "add-dialog",
    "app-password-dialog"]) {
    if ($(id).open) $(id).close();
  }
  $("qr-image").removeAttribute("src");
  clearManual();
}

function showLocked() {
  unlocked = false;
  accounts = [];
  hotpCodes.clear();
  renderedKey = "";
  closeSecretDialogs();
  $("locked").hidden = false;
  $("lock-button").hidden = true;
  $("app-password-button").hidden = true;
  $("unlock-password").value = "";
  $("unlock-error").hidden = true;
  loadAppPasswordState().then(() => { if (hasAppPassword && !unlocked) $("unlock-password").focus(); });
  $("add-button").disabled = true;
  $("accounts").replaceChildren();
  $("empty").hidden = true;
  $("reorder-hint").hidden = true;
}

let firstCodesReported = false;

async function refresh() {
  try {
    if (unlocked && idleLockSecs > 0 && Date.now() - lastInput >= idleLockSecs * 1000) {
      await lockNow();
      const minutes = idleLockSecs >= 120 ? Math.round(idleLockSecs / 60) + " minutes" : idleLockSecs + " s";
      showMessage("Locked after " + minutes + " without input.", false);
      return;
    }
    const isUnlocked = await invoke("is_unlocked");
    if (!isUnlocked) {
      // Locked here, from the tray, or never unlocked.
      if (unlocked || $("locked").hidden) showLocked();
      return;
    }
    if (!unlocked) lastInput = Date.now();
    unlocked = true;
    $("locked").hidden = true;
    $("lock-button").hidden = false;
    $("app-password-button").hidden = false;
    $("add-button").disabled = false;
    accounts = await invoke("list_accounts");
    if (dragId) return; // Re-rendering would cancel the drag.
    const key = JSON.stringify(accounts.map((a) => [a.id, a.code, a.next_code, a.seconds_left,
      a.issuer, a.name, a.note, a.problem, a.favourite])) + $("search").value;
    if (key !== renderedKey) {
      renderedKey = key;
      render();
      if (!firstCodesReported && accounts.some((a) => a.code)) {
        // For scripts/bench-startup.sh: reported once the frame with the codes is painted.
        firstCodesReported = true;
        requestAnimationFrame(() => requestAnimationFrame(() => invoke("first_codes_shown")));
      }
    }
  } catch (err) {
    // Locked from the tray between two calls: show the locked view, not an error.
    if (errorKind(err) === "locked") showLocked();
    else showMessage(errorText(err), true);
  }
}

// App password ------------------------------------------------------------------------------

// Asks the app whether an app password is set; the locked panel shows its field if so.
async function loadAppPasswordState() {
  try { hasAppPassword = await invoke("has_app_password"); }
  catch (err) { showMessage(errorText(err), true); }
  $("unlock-password-field").hidden = !hasAppPassword;
}

function showUnlockError(text) {
  $("unlock-error").textContent = text;
  $("unlock-error").hidden = false;
  if (hasAppPassword) { $("unlock-password").select(); $("unlock-password").focus(); }
}

async function unlockNow() {
  const field = $("unlock-password");
  $("unlock-error").hidden = true;
  if (hasAppPassword && !field.value) { showUnlockError("Enter the app password."); return; }
  try {
    await invoke("unlock", hasAppPassword ? { password: field.value } : {});
    field.value = "";
    lastInput = Date.now();
    renderedKey = "";
    await refresh();
  } catch (err) {
    // The app password may have been set or removed meanwhile (another window, a restart).
    await loadAppPasswordState();
    showUnlockError(errorText(err));
    if (errorKind(err) === "throttled") waitBeforeUnlock(err.retry_after);
  }
}

// After too many wrong app passwords the app refuses attempts for a while: the button waits too.
function waitBeforeUnlock(seconds) {
  const button = $("unlock-button");
  button.disabled = true;
  setTimeout(() => { button.disabled = false; }, Math.max(1, seconds || 1) * 1000);
}

function clearAppPasswordFields() {
  for (const id of ["app-password-current", "app-password-new", "app-password-repeat"]) $(id).value = "";
}

async function openAppPassword() {
  await loadAppPasswordState();
  clearAppPasswordFields();
  $("app-password-error").hidden = true;
  $("app-password-current-field").hidden = !hasAppPassword;
  $("app-password-remove").hidden = !hasAppPassword;
  $("app-password-status").textContent = hasAppPassword
    ? "An app password is set: unlocking Keygate asks for it. Enter it to change or remove it."
    : "No app password is set: Keygate unlocks with the OS keyring alone. Set one to be asked for it when unlocking.";
  $("app-password-dialog").showModal();
  (hasAppPassword ? $("app-password-current") : $("app-password-new")).focus();
}

async function saveAppPassword(remove) {
  const error = $("app-password-error");
  error.hidden = true;
  const fail = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    if (field) field.focus();
  };
  const current = hasAppPassword ? $("app-password-current").value : null;
  if (hasAppPassword && !current) { fail("Enter the current app password.", $("app-password-current")); return; }
  const next = $("app-password-new").value;
  if (!remove && next !== $("app-password-repeat").value) {
    fail("The two new passwords differ.", $("app-password-repeat"));
    return;
  }
  try {
    await invoke("set_app_password", { current, new: remove ? null : next });
    $("app-password-dialog").close();
    await loadAppPasswordState();
    showMessage(remove ? "App password removed: unlocking needs only the OS keyring."
      : "App password saved: Keygate asks for it when unlocking.", false);
  } catch (err) {
    fail(errorText(err), null);
  }
}

function wireAppPassword() {
  $("app-password-button").addEventListener("click", openAppPassword);
  $("app-password-save").addEventListener("click", () => saveAppPassword(false));
  $("app-password-remove").addEventListener("click", () => saveAppPassword(true));
  for (const id of ["app-password-current", "app-password-new", "app-password-repeat"]) {
    $(id).addEventListener("keydown", (e) => {
      // Enter saves (instead of submitting the dialog's form, which would close it).
      if (e.key === "Enter") { e.preventDefault(); saveAppPassword(false); }
    });
  }
  // Whatever closes the dialog, the typed passwords do not stay in the page.
  $("app-password-dialog").addEventListener("close", clearAppPasswordFields);
  $("unlock-form").addEventListener("submit", (e) => { e.preventDefault(); unlockNow(); });
}

async function lockNow() {
  await invoke("lock");
  showLocked();
}

async function copy(a) {
  try {
    if (a.kind === "hotp") {
      const code = hotpCodes.get(a.id);
      if (!code) { showMessage("Press “Next code” first.", true); return; }
      await invoke("copy_text", { text: code });
    } else {
      await invoke("copy_code", { id: a.id });
    }
    showMessage("Code copied; the clipboard is cleared in 30 s.", false);
  } catch (err) {
    showMessage(errorText(err), true);
  }
}

async function nextHotp(a) {
  try {
    const code = await invoke("hotp_next", { id: a.id });
    hotpCodes.set(a.id, code);
    renderedKey = "";
    await refresh();
  } catch (err) {
    showMessage(errorText(err), true);
  }
}

async function setFavourite(a, favourite) {
  try {
    await invoke("set_favourite", { id: a.id, favourite });
    renderedKey = "";
    await refresh();
    showMessage(favourite ? labelOf(a) + " is a favourite: it is listed first." : labelOf(a) + " is no longer a favourite.", false);
  } catch (err) {
    showMessage(errorText(err), true);
  }
}

function openDelete(a) {
  pendingDelete = a;
  $("delete-label").textContent = labelOf(a);
  $("delete-error").hidden = true;
  $("delete-dialog").showModal();
}

function openEdit(a) {
  pendingEdit = a;
  $("edit-issuer").value = a.issuer || "";
  $("edit-name").value = a.name;
  $("edit-note").value = a.note || "";
  $("edit-error").hidden = true;
  $("edit-dialog").showModal();
  $("edit-issuer").focus();
}

function openQrConfirm(a) {
  pendingQr = a;
  $("qr-confirm-label").textContent = labelOf(a);
  $("qr-confirm-error").hidden = true;
  $("qr-confirm-dialog").showModal();
}

async function showQr() {
  try {
    const svg = await invoke("account_qr", { id: pendingQr.id });
    $("qr-confirm-dialog").close();
    // The SVG is ASCII: btoa is enough. The CSP allows data: images.
    $("qr-image").src = "data:image/svg+xml;base64," + btoa(svg);
    $("qr-image").alt = "QR code of " + labelOf(pendingQr) + " (it contains the secret)";
    $("qr-dialog").showModal();
    $("qr-close").focus();
  } catch (err) {
    $("qr-confirm-error").textContent = errorText(err);
    $("qr-confirm-error").hidden = false;
  }
}

function showAddResult(results) {
  const list = $("add-result");
  list.replaceChildren(...results.map((r) => {
    const li = document.createElement("li");
    li.textContent = (r.error ? "not added: " : r.added ? "added: " : "already present: ") + r.label
      + (r.error ? " — " + r.error : "");
    if (r.error) li.className = "error";
    return li;
  }));
}

async function runAdd(command, args) {
  const error = $("add-error");
  error.hidden = true;
  $("add-result").replaceChildren();
  try {
    const results = await invoke(command, args);
    showAddResult(results);
    $("add-result").scrollIntoView({ block: "nearest" });
    renderedKey = "";
    await refresh();
    return true;
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
    error.scrollIntoView({ block: "nearest" });
    return false;
  }
}

// Manual entry ------------------------------------------------------------------------------

function manualEntry() {
  const entry = {};
  for (const f of manualFields) entry[f] = $("manual-" + f).value;
  return entry;
}

function showManualKind() {
  const kind = $("manual-kind").value;
  for (const field of document.querySelectorAll("#manual [data-kinds]")) {
    field.hidden = !field.dataset.kinds.split(" ").includes(kind);
  }
}

function showManualProblems(problems, all) {
  const byField = new Map(problems.map((p) => [p.field, p.message]));
  for (const f of manualFields) {
    const message = byField.get(f);
    const show = Boolean(message) && (all || manualTouched.has(f));
    const error = $("manual-" + f + "-error");
    error.textContent = show ? message : "";
    error.hidden = !show;
    $("manual-" + f).setAttribute("aria-invalid", String(show));
  }
}

// Checks the entry with the OTP engine's own rules; returns whether it can be added.
async function checkManual(all) {
  const mine = ++manualCheck;
  let problems = [];
  try {
    await invoke("check_manual", { entry: manualEntry() });
  } catch (err) {
    problems = errorKind(err) === "fields" ? err.fields : [{ field: "secret", message: errorText(err) }];
  }
  if (mine === manualCheck) showManualProblems(problems, all);
  return problems.length === 0;
}

async function addManual() {
  if (!(await checkManual(true))) {
    const first = document.querySelector("#manual [aria-invalid=true]");
    if (first) first.focus();
    return;
  }
  if (await runAdd("add_manual", { entry: manualEntry() })) clearManual();
}

function clearManual() {
  for (const f of ["issuer", "name", "secret"]) $("manual-" + f).value = "";
  $("manual-kind").value = "totp";
  $("manual-algorithm").value = "SHA1";
  $("manual-digits").value = "6";
  $("manual-period").value = "30";
  $("manual-counter").value = "0";
  manualTouched = new Set();
  manualCheck++;
  showManualProblems([], false);
  showManualKind();
}

function wireManual() {
  for (const f of manualFields) {
    const el = $("manual-" + f);
    const onChange = () => {
      manualTouched.add(f);
      if (f === "kind") showManualKind();
      checkManual(false);
    };
    el.addEventListener("input", onChange);
    el.addEventListener("change", onChange);
    el.addEventListener("keydown", (e) => {
      // Enter adds (instead of submitting the dialog's form, which would close it).
      if (e.key === "Enter") { e.preventDefault(); addManual(); }
    });
  }
  $("manual-add-button").addEventListener("click", addManual);
  showManualKind();
}

// Wiring ------------------------------------------------------------------------------------

function wire() {
  for (const type of ["mousemove", "mousedown", "keydown", "wheel", "touchstart", "pointerdown"]) {
    window.addEventListener(type, () => { lastInput = Date.now(); }, { capture: true, passive: true });
  }
  $("search").addEventListener("input", () => { renderedKey = ""; render(); });
  wireAppPassword();
  $("lock-button").addEventListener("click", async () => {
    try { await lockNow(); }
    catch (err) { showMessage(errorText(err), true); }
  });
  $("add-button").addEventListener("click", () => {
    $("add-error").hidden = true;
    $("add-result").replaceChildren();
    $("add-dialog").showModal();
    $("add-link").focus();
  });
  // Whatever closes the Add dialog, the typed secret does not stay in the page.
  $("add-dialog").addEventListener("close", clearManual);
  $("add-link-button").addEventListener("click", async () => {
    if (await runAdd("add_links", { text: $("add-link").value })) $("add-link").value = "";
  });
  $("add-image-button").addEventListener("click", () => runAdd("add_image", { path: $("add-path").value }));
  $("add-screen-button").addEventListener("click", () => runAdd("add_screen"));
  $("add-clipboard-button").addEventListener("click", () => runAdd("add_clipboard"));
  wireManual();
  $("delete-confirm").addEventListener("click", async () => {
    try {
      await invoke("delete_account", { id: pendingDelete.id });
      $("delete-dialog").close();
      renderedKey = "";
      await refresh();
    } catch (err) {
      $("delete-error").textContent = errorText(err);
      $("delete-error").hidden = false;
    }
  });
  $("edit-save").addEventListener("click", async () => {
    try {
      await invoke("edit_account", {
        id: pendingEdit.id, issuer: $("edit-issuer").value, name: $("edit-name").value,
        note: $("edit-note").value,
      });
      $("edit-dialog").close();
      renderedKey = "";
      await refresh();
    } catch (err) {
      $("edit-error").textContent = errorText(err);
      $("edit-error").hidden = false;
    }
  });
  $("qr-confirm").addEventListener("click", showQr);
  // The picture holds the secret: drop it as soon as the dialog closes.
  $("qr-dialog").addEventListener("close", () => { $("qr-image").removeAttribute("src"); pendingQr = null; });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); $("search").focus(); }
  });
}

async function start() {
  wire();
  try { idleLockSecs = (await invoke("settings")).idle_lock_secs; }
  catch (err) { showMessage(errorText(err), true); }
  // With an app password set the app starts locked and asks for it.
  await loadAppPasswordState();
  if (!hasAppPassword) {
    try { await invoke("unlock"); } catch (err) { showMessage(errorText(err), true); }
  }
  await refresh();
  setInterval(refresh, 1000);
}

start();
