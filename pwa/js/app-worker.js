// Registers the service worker from every page and offers a waiting new version to the officer.

import { outboxCounts, setMeta } from "./store.js";

function activate(worker) {
  worker.postMessage({ type: "activate" });
}

// `onWaiting(activateNow)` shows the "update" offer; without it (office pages) a new version
// activates by itself once nothing is pending, never behind unsent ops.
export async function registerWorker({ onWaiting = null } = {}) {
  if (!("serviceWorker" in navigator)) return null;
  const hadController = Boolean(navigator.serviceWorker.controller);
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module", updateViaCache: "none" });
  } catch (_error) {
    return null;
  }
  const offer = async (worker) => {
    const { pending } = await outboxCounts();
    if (!pending) activate(worker);
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
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The first worker only takes control; a new version reloads the page onto its files.
    if (!hadController || reloading) return;
    reloading = true;
    location.reload();
  });
  if (navigator.onLine) registration.update().catch(() => {});
  return registration;
}

// Once everything is sent, a version that was waiting for the officer's tap takes over by itself.
export async function activateIfIdle() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration || !registration.waiting || !navigator.serviceWorker.controller) return;
  if (!(await outboxCounts()).pending) activate(registration.waiting);
}

// The language of a page that came from the server: field shells are cached per language.
export function reportLocale(locale) {
  return setMeta({ locale }).catch(() => {});
}

export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("outbox");
  } catch (_error) { /* not in this browser: the pages' own timer covers it */ }
}
