// Signing out on a phone: the user's device token leaves the phone (revoked on the server when it
// answers); their records and outbox go with it when nothing is unsent, else they stay locked in
// their own database (after a warning) until that user signs in again. Nobody else sees them.

import { currentUser, inUse, outboxCounts } from "./store.js";
import { signOutPhone } from "./sync.js";

function csrfFromCookie() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function submit(form) {
  const input = form.querySelector('input[name="_csrf_token"]');
  if (input && !input.value) input.value = csrfFromCookie();
  form.dataset.confirmed = "1";
  form.submit();
}

export function interceptSignOut() {
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-action="sign-out"]') : null;
    if (button && button.form) button.form.requestSubmit();
  });
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.getAttribute("action") !== "/logout" || form.dataset.confirmed) return;
    if (!inUse()) return;  // this browser never worked as a phone: a plain sign-out
    event.preventDefault();
    let counts = { pending: 0, rejected: 0 };
    let user = null;
    try { [counts, user] = await Promise.all([outboxCounts(), currentUser()]); } catch (_error) { /* no storage */ }
    const unsent = user ? counts.pending + counts.rejected : 0;
    if (unsent) {
      const text = (form.dataset.unsentWarning || "").replace("{n}", String(unsent));
      if (!window.confirm(text)) return;
    }
    let left = {};
    try { left = await signOutPhone(); } catch (_error) { /* no storage: nothing kept */ }
    // A token the server could not be told about (no signal): the sign-out names its device.
    if (left.unrevoked) form.append(Object.assign(document.createElement("input"),
      { type: "hidden", name: "device_id", value: left.unrevoked }));
    submit(form);
  });
}
