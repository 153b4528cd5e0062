// Page glue: send the CSRF token with every htmx request (double-submit cookie, see PITFALLS).
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) event.detail.headers["x-csrftoken"] = meta.content;
});
