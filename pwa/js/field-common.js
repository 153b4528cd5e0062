// What every field page shares: its texts, the sync status element, when to sync, the update
// offer, sign-in with the phone's device token, and small DOM helpers.

import { activateIfIdle, registerWorker, reportLocale, requestBackgroundSync } from "./app-worker.js";
import { interceptSignOut } from "./signout.js";
import { NotSignedIn, currentUser, outboxCounts } from "./store.js";
import { ensureDeviceToken, listen, status, sync } from "./sync.js";
import { formatBytes, formatMoment } from "./format.js";

export const locale = document.documentElement.lang === "en" ? "en" : "th";
const texts = Object.assign(...["field-texts", "field-phone-texts", "field-handoff-texts"].map((id) =>
  JSON.parse(document.getElementById(id)?.textContent || "{}")));

export function t(key, vars = {}) {
  let text = texts[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, String(value));
  return text;
}

// el("a", {href: "/x", class: "y"}, "text", child…): text is always text, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A date, a house number or a name kept whole: Thai has no spaces, and the browser's line breaking
// would otherwise split "5 ธ.ค. 2569" or a name mid-word.
export function nowrap(text) {
  return el("span", { class: "nowrap" }, text);
}

export const pathParts = () => location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
export const followUpMonths = () => JSON.parse(document.body.dataset.followUpMonths || "[]");

export function kindLabel(kind) { return t(`kind_${kind}`); }

export function sessionLabel(session) {
  return t("day_n", { n: session.fields.day });
}

export const byHouseNo = (a, b) =>
  String(a.fields.house_no).localeCompare(String(b.fields.house_no), "th", { numeric: true });

export function occupationName(view, code) {
  const occupation = view.get("occupation", code);
  if (!occupation) return code || "";
  return locale === "en" ? occupation.fields.name_en : occupation.fields.name_th;
}

export function badge(record) {
  if (record.rejected) return el("span", { class: "tag warn" }, t("rejected_badge"));
  if (record.pending) return el("span", { class: "tag" }, t("waiting_badge"));
  return null;
}

export function savedNote() {
  return el("p", { class: "saved", "data-saved": "", role: "status" }, t("saved"));
}

// --- status -------------------------------------------------------------------------------------

const statusBox = () => document.querySelector("[data-sync-status]");

export async function showStatus() {
  const box = statusBox();
  let now;
  try {
    now = await status();
  } catch (error) {
    showStorageProblem(error);
    return null;
  }
  box.dataset.pending = String(now.pending);
  box.dataset.rejected = String(now.rejected);
  box.dataset.state = now.state;
  box.dataset.lastSync = now.lastSync;
  // "offline" (FIELD.md) is any attempt that could not reach the server: the words tell the phone
  // without a network from a network whose server does not answer.
  const words = now.state !== "offline" ? `state_${now.state}` : (navigator.onLine === false ? "state_no_network" : "state_server_down");
  const parts = [t(words)];
  if (now.pending) parts.push(t("pending_n", { n: now.pending }));
  if (now.rejected) parts.push(t("rejected_n", { n: now.rejected }));
  parts.push(now.lastSync ? t("last_sync", { time: formatMoment(now.lastSync, locale) }) : t("never_synced"));
  box.querySelector("[data-sync-text]").textContent = parts.join(" · ");
  const notice = document.querySelector("[data-sync-notice]");
  notice.replaceChildren();
  notice.hidden = true;
  if (now.state === "error" && now.message) {
    notice.hidden = false;
    notice.append(el("p", {}, t(`message_${now.message}`)));
    if (now.message === "revoked" || now.message === "sign_in" || now.message === "signed_out") {
      notice.append(el("button", { type: "button", class: "primary", "data-action": "sign-in-again",
                                   onclick: signInAgain }, t("sign_in_again")));
    }
  }
  return now;
}

// Sign in again after the office revoked this phone: end the browser session (keeping every
// capture on the phone) and open the sign-in page.
function signInAgain() {
  const form = document.querySelector('form[action="/logout"]');
  const input = form.querySelector('input[name="_csrf_token"]');
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (input && !input.value && match) input.value = decodeURIComponent(match[1]);
  form.dataset.confirmed = "1";
  form.submit();
}

// --- when to sync ---------------------------------------------------------------------------------

const FIRST_DELAY = 2000;
const MAX_DELAY = 30000;  // never longer while ops are pending and a field page is open
let timer = null;
let delay = FIRST_DELAY;
let running = null;
let again = false;
const afterSync = [];

export function onSynced(callback) { afterSync.push(callback); }

async function plan() {
  clearTimeout(timer);
  timer = null;
  const { pending } = await outboxCounts();
  if (pending) timer = setTimeout(() => syncSoon(), delay);
}

export function syncSoon() {
  if (running) { again = true; return running; }
  clearTimeout(timer);
  timer = null;
  running = (async () => {
    let result;
    do {
      again = false;
      await ensureDeviceToken();
      result = await sync();
    } while (again && result.ok);
    delay = result.ok ? FIRST_DELAY : Math.min(delay * 2, MAX_DELAY);
    running = null;
    await showStatus();
    for (const callback of afterSync) callback(result);
    if (result.ok) activateIfIdle().catch(() => {});
    if (result.reason !== "revoked" && result.reason !== "sign_in") await plan();
    return result;
  })();
  return running;
}

// After a save: answered already, and counted; now try to send it — once the officer pauses, so that
// a run of taps on a sheet is not slowed by send attempts between them (on a cheap phone they
// queued in IndexedDB ahead of the next tap's write).
const QUIET_MS = 300;
let quiet = null;

export function saved(form = null) {
  if (form) markSaved(form);
  showStatus();  // the count of what waits is true at once (FIELD.md, data-pending)
  clearTimeout(quiet);
  quiet = setTimeout(() => {
    requestBackgroundSync();
    syncSoon();
  }, QUIET_MS);
}

// --- the page ---------------------------------------------------------------------------------------

let dataListener = null;

function showUpdateOffer(activateNow) {
  const banner = document.querySelector("[data-app-update]");
  banner.hidden = false;
  banner.querySelector("[data-action=update-app]").onclick = activateNow;
}

export async function boot({ render, onData = null }) {
  dataListener = onData || render;
  document.querySelectorAll("a.lang").forEach((link) => {
    const url = new URL(link.href, location.href);
    url.searchParams.set("next", location.pathname + location.search);
    link.href = url.pathname + url.search;
  });
  interceptSignOut();
  // A page the server sent (no worker yet) is in the cookie's language: the cached shells follow it.
  if ("serviceWorker" in navigator && !navigator.serviceWorker.controller) reportLocale(locale);
  document.querySelector("[data-action=sync-now]").addEventListener("click", () => { delay = FIRST_DELAY; syncSoon(); });
  window.addEventListener("online", () => { delay = FIRST_DELAY; syncSoon(); });
  listen((message) => {
    if (message.type === "status") showStatus();
    if ((message.type === "data" || message.type === "user") && dataListener) dataListener();
  });
  registerWorker({ onWaiting: showUpdateOffer, busy: hasUnsavedInput });
  try {
    // Nobody works on this phone yet (or another user signed in in this browser): find out first.
    if (!(await currentUser())) await ensureDeviceToken();
    if (!(await showStatus())) return;
    await render();
  } catch (error) {
    showStorageProblem(error);
    return;
  }
  checkStorage();
  syncSoon();
}

// --- unsaved input and storage trouble --------------------------------------------------------------

// A field of a form on this page holds something typed and not saved yet (an update waits for it).
export function hasUnsavedInput() {
  return [...document.querySelectorAll("main input, main textarea, main select")].some((input) =>
    (input.type === "checkbox" || input.type === "radio") ? input.checked !== input.defaultChecked
      : input.tagName === "SELECT" ? input.value !== initialChoice(input)
        : input.value !== input.defaultValue);
}

// What a list shows before anyone chooses: the option marked selected, else the first.
function initialChoice(select) {
  const chosen = [...select.options].find((option) => option.defaultSelected) || select.options[0];
  return chosen ? chosen.value : "";
}

// After a save: what the form holds is saved.
export function markSaved(root) {
  for (const input of root.querySelectorAll("input, textarea, select")) {
    if (input.type === "checkbox" || input.type === "radio") input.defaultChecked = input.checked;
    else if (input.tagName === "SELECT") for (const option of input.options) option.defaultSelected = option.selected;
    else input.defaultValue = input.value;
  }
}

const storageNotice = () => document.querySelector("[data-storage-notice]");

function storageKind(error) {
  if (error instanceof NotSignedIn) return "signed_out";
  return error && error.kind ? error.kind : "write";
}

// The phone cannot keep data at all: said instead of "…", with what to do.
function showStorageProblem(error) {
  const text = t(`storage_${storageKind(error)}`);
  const box = statusBox();
  box.dataset.state = "error";
  box.dataset.storage = storageKind(error);
  box.querySelector("[data-sync-text]").textContent = text;
  const notice = storageNotice();
  notice.hidden = false;
  notice.replaceChildren(el("p", { role: "alert", "data-storage-problem": storageKind(error) }, text));
}

// A capture could not be stored: said at once beside it; what was typed stays in the form.
export function saveFailed(slot, error) {
  const kind = storageKind(error);
  slot.replaceChildren(el("p", { class: "error", role: "alert", "data-save-failed": kind },
    t("not_saved"), " ", t(`storage_${kind}`)));
}

const LOW_SPACE = 20 * 1024 * 1024;

// Storage the browser may clear or that is nearly full: a warning with what to do.
async function checkStorage() {
  const warnings = [];
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
      if (!(await navigator.storage.persist())) warnings.push(["not_kept", t("storage_not_persisted")]);
    }
    if (navigator.storage && navigator.storage.estimate) {
      const { usage = 0, quota } = await navigator.storage.estimate();
      if (quota !== undefined && quota - usage < LOW_SPACE) {
        warnings.push(["low", t("storage_low", { size: formatBytes(Math.max(quota - usage, 0)) })]);
      }
    }
  } catch (_error) { /* no storage API: nothing to say */ }
  const notice = storageNotice();
  if (!warnings.length || notice.querySelector("[data-storage-problem]")) return;
  notice.hidden = false;
  notice.replaceChildren(...warnings.map(([kind, text]) => el("p", { "data-storage-warning": kind }, text)));
}

// A form's message beside its field (aria-describedby), or none.
export function showFieldErrors(form, errors) {
  for (const input of form.querySelectorAll("[name]")) {
    const box = form.querySelector(`[data-error-for="${input.name}"]`);
    if (!box) continue;
    const message = errors[input.name];
    box.textContent = message || "";
    box.hidden = !message;
    input.toggleAttribute("aria-invalid", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    input.closest(".field")?.classList.toggle("has-error", Boolean(message));
  }
  const first = Object.keys(errors)[0];
  if (first) form.querySelector(`[name="${first}"]`)?.focus();
}
