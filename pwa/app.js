// Page glue: send the CSRF token with every htmx request (double-submit cookie, see PITFALLS).
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) event.detail.headers["x-csrftoken"] = meta.content;
});
// A re-shown form (422 invalid, 409 changed by someone else) replaces the fragment like a success does.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
