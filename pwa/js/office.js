// Every office page: the app's service worker, the page language, and a safe sign-out.

import { registerWorker, reportLocale } from "./app-worker.js";
import { setMeta } from "./store.js";
import { interceptSignOut } from "./signout.js";

registerWorker();
reportLocale(document.documentElement.lang);
interceptSignOut();
// The sign-in page shows only to a browser that is signed out: the next device token follows a
// fresh sign-in, so a phone the office revoked may ask for one again.
if (document.querySelector('form[action="/login"]')) setMeta({ signin_required: false }).catch(() => {});
