// Registers the service worker from every page and offers a waiting new version to the officer.

import { outboxCounts, phoneSet } from "./store.js";

function activate(worker) {
  worker.postMessage({ type: "activate" });
}

// An update never interrupts work: a new version takes over by itself only while nothing is pending
// and no form on the page holds unsaved input (`busy`); else it waits for the officer's tap.
let busy = () => false;
let offerTap = null;
let reloadWhenIdle = false;

async function idle() {
  return !busy() && !(await outboxCounts().catch(() => ({ pending: 1 }))).pending;
}

// `onWaiting(activateNow)` shows the "update" offer; without it (office pages) a new version
// activates by itself once nothing is pending, never behind unsent ops.
export async function registerWorker({ onWaiting = null, busy: isBusy = null } = {}) {
  if (!("serviceWorker" in navigator)) return null;
  if (isBusy) busy = isBusy;
  offerTap = onWaiting;
  const hadController = Boolean(navigator.serviceWorker.controller);
  let reloading = false;
  const reload = () => { if (!reloading) { reloading = true; location.reload(); } };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The first worker only takes control; a new version reloads the page onto its files, but not
    // under the officer's fingers (another page may have taken it): then at their tap or once idle.
    if (!hadController || reloading) return;
    if (!busy()) reload();
    else {
      reloadWhenIdle = true;
      if (offerTap) offerTap(reload);
    }
  });
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module", updateViaCache: "none" });
  } catch (_error) {
    return null;
  }
  const offer = async (worker) => {
    if (await idle()) activate(worker);
    else if (onWaiting) onWaiting(() => activate(worker));
  };
  if (registration.waiting && hadController) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  });
  if (navigator.onLine) registration.update().catch(() => {});
  return registration;
}

// Once everything is sent and the page is idle, a version that waited for the officer takes over.
export async function activateIfIdle() {
  if (!("serviceWorker" in navigator)) return;
  if (reloadWhenIdle) {
    if (!busy()) location.reload();
    return;
  }
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration || !registration.waiting || !navigator.serviceWorker.controller) return;
  if (await idle()) activate(registration.waiting);
}

// The language of a page that came from the server: field shells are cached per language.
export function reportLocale(locale) {
  return phoneSet({ locale }).catch(() => {});
}

export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("outbox");
  } catch (_error) { /* not in this browser: the pages' own timer covers it */ }
}
