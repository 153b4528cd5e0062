// Signing out on a phone: the user's device token leaves the phone (revoked on the server when it
// answers); their records and outbox go with it when nothing is unsent, else they stay locked in
// their own database (after a warning) until that user signs in again. Nobody else sees them.

import { inUse } from "./store.js";
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

// While the sign-out waits (for a sync on its way, for the server), its button says so and takes no
// second tap: the officer does not hand the phone over believing they have left.
function showLeaving(form, leaving) {
  const button = form.querySelector("button");
  if (!button) return;
  if (leaving) {
    button.dataset.label = button.textContent;
    if (form.dataset.leavingText) button.textContent = form.dataset.leavingText;
  } else if (button.dataset.label !== undefined) {
    button.textContent = button.dataset.label;
  }
  button.disabled = leaving;
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
    if (form.dataset.leaving) return;  // a second tap while the first waits for a sync
    form.dataset.leaving = "1";
    showLeaving(form, true);
    // The officer is warned of what stays unsent once a sync on its way has finished (it may send it).
    const warn = (unsent) => window.confirm((form.dataset.unsentWarning || "").replace("{n}", String(unsent)));
    let left = {};
    try { left = await signOutPhone(warn); } catch (_error) { /* no storage: nothing kept */ }
    if (left.cancelled) {
      delete form.dataset.leaving;
      showLeaving(form, false);
      return;
    }
    // A token the server could not be told about (no signal): the sign-out names its device.
    if (left.unrevoked) form.append(Object.assign(document.createElement("input"),
      { type: "hidden", name: "device_id", value: left.unrevoked }));
    submit(form);
  });
}
