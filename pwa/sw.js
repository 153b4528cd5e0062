// The service worker (served at /sw.js, scope /): precaches the app shell in a versioned cache,
// answers every /field/... page from its cached shell, lets office pages (personal data) go to
// the network with the offline page as fallback, runs sync for Background Sync, and ends a
// sign-out made with no signal on the app's own page (the server hears of it when it answers).

import { phoneAll, phoneSet } from "/static/js/store.js";
import { finishSignOut, sync } from "/static/js/sync.js";

// The server writes the version, the files to precache and the shells' URLs here.
const CONFIG = self.__SAMMACHIP__;
const VERSION = CONFIG.version;
const CACHE = `sammachip-${VERSION}`;
self.__SAMMACHIP_VERSION__ = VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(CONFIG.precache.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })))));
  // No skipWaiting here: a new version waits until the officer agrees or nothing is pending.
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("sammachip-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "activate") self.skipWaiting();
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  // Rejecting asks the browser to try again later.
  event.waitUntil(sync().then((result) => { if (!result.ok && result.reason === "offline") throw new Error("offline"); }));
});

function shellFor(path) {
  const p = path.split("/").filter(Boolean);
  if (p[0] !== "field") return null;
  if (p.length === 1) return "home";
  if (p.length === 2 && (p[1] === "prepare" || p[1] === "outbox")) return p[1];
  if (p.length === 3 && p[1] === "sessions") return "session";
  if (p.length === 3 && p[1] === "households") return "household";
  if (p.length === 5 && p[1] === "households" && p[3] === "surveys") return "survey";
  if (p.length === 5 && p[1] === "villages" && p[3] === "households" && p[4] === "new") return "new_household";
  return null;
}

async function language() {
  try {
    const code = (await phoneAll()).locale;
    return CONFIG.locales.includes(code) ? code : CONFIG.locales[0];
  } catch (_error) {
    return CONFIG.locales[0];
  }
}

async function offlinePage() {
  const cache = await caches.open(CACHE);
  return (await cache.match(`${CONFIG.shells.offline}?lang=${await language()}`)) || Response.error();
}

// Cache first, so a page opens at once with no signal; refreshed in the background when online.
async function serveShell(name, event) {
  const key = `${CONFIG.shells[name]}?lang=${await language()}`;
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  const fresh = fetch(new Request(key, { cache: "no-store", credentials: "same-origin" })).then(async (response) => {
    if (response.ok && response.headers.get("X-App-Version") === VERSION) await cache.put(key, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => null));
    return cached;
  }
  try {
    return await fresh;
  } catch (_error) {
    return offlinePage();
  }
}

// The language switch: remembered here, so the cached shells follow it, also with no signal.
async function switchLanguage(url, request) {
  const code = url.pathname.split("/")[2];
  if (CONFIG.locales.includes(code)) await phoneSet({ locale: code }).catch(() => {});
  try {
    return await fetch(request);
  } catch (_error) {
    let next = url.searchParams.get("next") || "/field";
    if (!next.startsWith("/") || next.startsWith("//")) next = "/field";
    return Response.redirect(new URL(next, self.location.origin).href, 302);
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached || fetch(request);
}

async function networkOrOffline(request) {
  try {
    await finishSignOut();
    return await fetch(request);
  } catch (_error) {
    return offlinePage();
  }
}

// Sign-out (the phone's part is done by then): with no signal, the server is told later and the
// officer lands on the app's home, which says nobody is signed in.
async function signOut(request) {
  const form = new URLSearchParams(await request.text());
  const tell = () => fetch("/logout", { method: "POST", body: form, credentials: "same-origin", redirect: "manual" });
  try {
    // Once more on a network error, after a breath: a browser does not retry a POST on a kept-alive
    // connection the server has just closed, a busy server may drop one, and signing out twice does no
    // harm. Only then is it taken for no signal.
    const response = await tell().catch(() => new Promise((resolve) => setTimeout(resolve, 500)).then(tell));
    await phoneSet({ logout: null }).catch(() => {});
    return response;
  } catch (_error) {
    await phoneSet({ logout: { csrf: form.get("_csrf_token") || "", device_id: form.get("device_id") || "" } })
      .catch(() => {});
    return Response.redirect(new URL("/field", self.location.origin).href, 303);
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method === "POST" && request.mode === "navigate" && url.pathname === "/logout" &&
      url.origin === self.location.origin) {
    event.respondWith(signOut(request));
    return;
  }
  if (request.method !== "GET") return;
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  const navigate = request.mode === "navigate";
  const shell = navigate ? shellFor(url.pathname) : null;
  if (shell) event.respondWith(serveShell(shell, event));
  else if (navigate && url.pathname.startsWith("/lang/")) event.respondWith(switchLanguage(url, request));
  else if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") event.respondWith(cacheFirst(request));
  // Office pages hold personal data: never cached, only replaced by the offline page.
  else if (navigate) event.respondWith(networkOrOffline(request));
});
