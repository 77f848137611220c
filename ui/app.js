// Keygate's window: plain JS over the app's own Tauri commands.
"use strict";

const invoke = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args || {});
const $ = (id) => document.getElementById(id);

let accounts = [];
let renderedKey = "";
let hotpCodes = new Map();
let pendingDelete = null;
let pendingRename = null;
let messageTimer = null;

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

function showMessage(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
  m.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { m.hidden = true; }, isError ? 10000 : 3000);
}

function errorText(err) {
  return typeof err === "string" ? err : (err && err.message) || String(err);
}

function matches(a, query) {
  if (!query) return true;
  const hay = ((a.issuer || "") + " " + a.name).toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
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

function row(a) {
  const li = document.createElement("li");
  li.className = "account";
  li.dataset.id = a.id;

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

  const code = document.createElement("button");
  code.type = "button";
  code.className = "code";
  const who = a.issuer ? a.issuer + (a.name ? " (" + a.name + ")" : "") : a.name;
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

  const side = document.createElement("div");
  side.className = "side";
  if (a.kind === "hotp") {
    const next = document.createElement("button");
    next.type = "button";
    next.textContent = "Next code";
    next.className = "hotp-next";
    next.addEventListener("click", () => nextHotp(a));
    side.append(next);
  } else if (a.seconds_left != null) {
    side.append(ring(a));
    const s = document.createElement("span");
    s.className = "seconds";
    s.textContent = a.seconds_left + " s";
    side.append(s);
  }
  const tools = document.createElement("div");
  tools.className = "tools";
  const rename = document.createElement("button");
  rename.type = "button";
  rename.textContent = "Rename";
  rename.className = "rename";
  rename.setAttribute("aria-label", "Rename " + who);
  rename.addEventListener("click", () => openRename(a));
  const del = document.createElement("button");
  del.type = "button";
  del.textContent = "Delete";
  del.className = "delete";
  del.setAttribute("aria-label", "Delete " + who);
  del.addEventListener("click", () => openDelete(a));
  tools.append(rename, del);
  side.append(tools);

  li.append(icon, label, side, code);
  return li;
}

function render() {
  const query = $("search").value.trim();
  const shown = accounts
    .filter((a) => matches(a, query))
    .sort((x, y) => Number(y.favourite) - Number(x.favourite));
  const list = $("accounts");
  const focusedId = document.activeElement && document.activeElement.closest("li.account")
    ? document.activeElement.closest("li.account").dataset.id : null;
  const focusedClass = document.activeElement ? document.activeElement.className : "";
  list.replaceChildren(...shown.map(row));
  if (focusedId) {
    const again = list.querySelector(`li[data-id="${focusedId}"] .${focusedClass.split(" ")[0]}`);
    if (again) again.focus();
  }
  $("empty").hidden = accounts.length !== 0;
}

async function refresh() {
  try {
    const unlocked = await invoke("is_unlocked");
    $("locked").hidden = unlocked;
    $("lock-button").hidden = !unlocked;
    $("add-button").disabled = !unlocked;
    if (!unlocked) {
      accounts = [];
      $("accounts").replaceChildren();
      $("empty").hidden = true;
      return;
    }
    accounts = await invoke("list_accounts");
    const key = JSON.stringify(accounts.map((a) => [a.id, a.code, a.seconds_left, a.issuer, a.name, a.problem]))
      + $("search").value;
    if (key !== renderedKey) {
      renderedKey = key;
      render();
    }
  } catch (err) {
    showMessage(errorText(err), true);
  }
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

function openDelete(a) {
  pendingDelete = a;
  $("delete-label").textContent = a.issuer ? a.issuer + (a.name ? " (" + a.name + ")" : "") : a.name;
  $("delete-error").hidden = true;
  $("delete-dialog").showModal();
}

function openRename(a) {
  pendingRename = a;
  $("rename-issuer").value = a.issuer || "";
  $("rename-name").value = a.name;
  $("rename-error").hidden = true;
  $("rename-dialog").showModal();
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
    renderedKey = "";
    await refresh();
    return true;
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
    return false;
  }
}

function wire() {
  $("search").addEventListener("input", () => { renderedKey = ""; render(); });
  $("unlock-button").addEventListener("click", async () => {
    try { await invoke("unlock"); renderedKey = ""; await refresh(); }
    catch (err) { showMessage(errorText(err), true); }
  });
  $("lock-button").addEventListener("click", async () => {
    try { await invoke("lock"); hotpCodes.clear(); await refresh(); }
    catch (err) { showMessage(errorText(err), true); }
  });
  $("add-button").addEventListener("click", () => {
    $("add-error").hidden = true;
    $("add-result").replaceChildren();
    $("add-dialog").showModal();
    $("add-link").focus();
  });
  $("add-link-button").addEventListener("click", async () => {
    if (await runAdd("add_links", { text: $("add-link").value })) $("add-link").value = "";
  });
  $("add-image-button").addEventListener("click", () => runAdd("add_image", { path: $("add-path").value }));
  $("add-screen-button").addEventListener("click", () => runAdd("add_screen"));
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
  $("rename-save").addEventListener("click", async () => {
    try {
      await invoke("rename_account", {
        id: pendingRename.id, issuer: $("rename-issuer").value, name: $("rename-name").value,
      });
      $("rename-dialog").close();
      renderedKey = "";
      await refresh();
    } catch (err) {
      $("rename-error").textContent = errorText(err);
      $("rename-error").hidden = false;
    }
  });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); $("search").focus(); }
  });
}

async function start() {
  wire();
  try { await invoke("unlock"); } catch (err) { showMessage(errorText(err), true); }
  await refresh();
  setInterval(refresh, 1000);
}

start();
