// /field/prepare: choose the villages kept on this phone, pull them, show what is stored.

import { boot, el, showStatus, t } from "./field-common.js";
import { formatBytes } from "./format.js";
import { loadEntities } from "./overlay.js";
import { getMeta, setMeta } from "./store.js";
import { dropUnprepared, ensureDeviceToken, sync } from "./sync.js";

let busy = false;

// Install: a button where the browser offers installing (beforeinstallprompt), else a line of help;
// nothing once the app runs installed.
function offerInstall() {
  const box = document.querySelector("[data-install]");
  if (matchMedia("(display-mode: standalone)").matches) { box.hidden = true; return; }
  const button = box.querySelector("[data-action=install]");
  const help = box.querySelector("[data-install-help]");
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    button.hidden = false;
    help.hidden = true;
    button.onclick = async () => {
      event.prompt();
      await event.userChoice.catch(() => null);
      box.hidden = true;
    };
  });
  window.addEventListener("appinstalled", () => { box.hidden = true; });
}
offerInstall();

async function showStorage() {
  const size = document.querySelector("[data-storage-size]");
  const kept = document.querySelector("[data-storage-persisted]");
  if (navigator.storage && navigator.storage.estimate) {
    const estimate = await navigator.storage.estimate();
    size.textContent = t("storage_used", { size: formatBytes(estimate.usage || 0) });
  }
  if (navigator.storage && navigator.storage.persisted) {
    const persisted = await navigator.storage.persisted();
    kept.textContent = persisted ? t("storage_kept") : t("storage_not_kept");
    kept.dataset.persisted = String(persisted);
  }
}

async function render() {
  if (busy) return;
  const [view, prepared, ready] = await Promise.all([
    loadEntities(["village", "household"]), getMeta("prepared", []), getMeta("ready", [])]);
  const villages = view.all("village").filter((v) => v.fields.participating !== false)
    .sort((a, b) => String(a.fields.code).localeCompare(String(b.fields.code)));
  const choices = document.querySelector("[data-village-choices]");
  // A redraw after a sync keeps the boxes the officer is ticking.
  const ticked = new Map([...choices.querySelectorAll('input[name="village"]')].map((i) => [i.value, i.checked]));
  const chosen = (id) => (ticked.has(id) ? ticked.get(id) : (prepared || []).includes(id));
  if (!villages.length) {
    choices.replaceChildren(el("p", { class: "muted" }, t("waiting_first_sync")));
  } else {
    choices.replaceChildren(...villages.map((v) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "village", value: v.id, checked: chosen(v.id) }),
      `${v.fields.name} (${t("village_no", { n: v.fields.number })})`)));
  }
  const list = document.querySelector("[data-prepared-list]");
  list.replaceChildren(...(ready || []).map((id) => view.get("village", id)).filter(Boolean).map((v) => {
    const count = view.where("household", (f) => f.village_id === v.id).length;
    return el("li", { "data-prepared-village": v.id },
      `✓ ${v.fields.name}: ${t("prepared")} · ${t("n_households", { n: count })}`);
  }));
  await showStorage();
}

async function prepare(event) {
  event.preventDefault();
  if (busy) return;
  const chosen = [...document.querySelectorAll('input[name="village"]:checked')].map((input) => input.value);
  const progress = document.querySelector("[data-prepare-progress]");
  const text = document.querySelector("[data-progress-text]");
  busy = true;
  progress.hidden = false;
  text.textContent = t("preparing", { n: 0 });
  if (navigator.storage && navigator.storage.persist) await navigator.storage.persist().catch(() => false);
  await ensureDeviceToken();  // first: the villages are kept for the user signed in now
  // A new set of villages: pull the area again from the start and keep what they need.
  await setMeta({ prepared: chosen, ready: [], cursor: null });
  await dropUnprepared();
  await setMeta({ ready: [] });
  const result = await sync({ onProgress: ({ received }) => { text.textContent = t("preparing", { n: received }); } });
  busy = false;
  progress.hidden = result.ok;
  text.textContent = result.ok ? "" : t("prepare_failed");
  await showStatus();
  await render();
}

document.querySelector("[data-prepare-form]").addEventListener("submit", prepare);
boot({ render });
