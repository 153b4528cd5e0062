// Signing out on a phone: unsent captures stay (after a warning); with nothing unsent, the
// device token is revoked and the personal data leaves the phone.

import { clearPersonalData, inUse, outboxCounts } from "./store.js";
import { revokeDeviceToken } from "./sync.js";

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
    try { counts = await outboxCounts(); } catch (_error) { /* no database: nothing to keep */ }
    const unsent = counts.pending + counts.rejected;
    if (unsent) {
      const text = (form.dataset.unsentWarning || "").replace("{n}", String(unsent));
      if (window.confirm(text)) submit(form);
      return;
    }
    await revokeDeviceToken();
    try { await clearPersonalData({ withOutbox: true }); } catch (_error) { /* nothing stored */ }
    submit(form);
  });
}
