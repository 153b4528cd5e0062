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
// Tables on a phone: app.css shows each row of a table.list as a card, every cell with its column's
// heading (data-label). One way for every table: cells a template did not label are labelled here from
// the table's <th>, on load and after each htmx swap.
function labelTableCells(root) {
  for (const table of root.querySelectorAll("table.list")) {
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!headings.length) continue;
    for (const row of table.querySelectorAll("tbody tr")) {
      let column = 0;
      for (const cell of row.cells) {
        const heading = headings[column];
        if (heading && !cell.hasAttribute("data-label")) cell.dataset.label = heading;
        column += cell.colSpan || 1;
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", () => labelTableCells(document));
document.addEventListener("htmx:afterSettle", () => labelTableCells(document));
// A list filter that only hides rows (the inputs stay in the form): [data-filter-rows] matches each row's
// data-filter-text, [data-filter-checked] keeps the rows whose checkbox is ticked; [data-count-checked]
// shows how many checkboxes are ticked. Their controls are shown only where this script runs.
function filterRows(tbody) {
  const text = document.querySelector(`[data-filter-rows="#${tbody.id}"]`)?.value.trim().toLowerCase() || "";
  const onlyChecked = document.querySelector(`[data-filter-checked="#${tbody.id}"]`)?.checked;
  for (const row of tbody.rows) {
    const matches = !text || (row.dataset.filterText || row.textContent).toLowerCase().includes(text);
    const ticked = !onlyChecked || row.querySelector("input[type=checkbox]:checked");
    row.hidden = !(matches && ticked);
  }
}
function countChecked() {
  for (const out of document.querySelectorAll("[data-count-checked]")) {
    out.textContent = document.querySelectorAll(`${out.dataset.countChecked}:checked`).length;
  }
}
document.addEventListener("DOMContentLoaded", () => {
  for (const hidden of document.querySelectorAll("[data-needs-script][hidden]")) hidden.hidden = false;
  countChecked();
});
document.addEventListener("input", (event) => {
  const target = event.target.closest("[data-filter-rows], [data-filter-checked]");
  const selector = target && (target.dataset.filterRows || target.dataset.filterChecked);
  if (selector) filterRows(document.querySelector(selector));
});
document.addEventListener("change", (event) => {
  if (event.target.matches("input[type=checkbox]")) countChecked();
});
// The wide menu's groups: one open at a time, closed by a click elsewhere or Escape (they open without this).
document.addEventListener("click", (event) => {
  for (const group of document.querySelectorAll("details.menu-group[open]")) {
    if (!group.contains(event.target)) group.removeAttribute("open");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const group of document.querySelectorAll("details.menu-group[open]")) group.removeAttribute("open");
});

// The print button of printed reports (no inline handler: the Content-Security-Policy allows none).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
