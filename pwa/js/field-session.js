// /field/sessions/{id}: the attendance sheet of one training day, one tap per household.
// A day dated after today (Thai time) has not been held: the sheet says so above its rows and refuses
// its marks before they reach the outbox, with the server's own words (rules.js checkAttendance).

import { badge, boot, byHouseNo, el, kindLabel, locale, pathParts, saveFailed, saved, savedNote, sessionLabel, t } from "./field-common.js";
import { formatDate } from "./format.js";
import { loadView, save } from "./overlay.js";
import { checkAttendance } from "./rules.js";
import { uuid } from "./store.js";

const sessionId = pathParts()[2];
let view = null;
let queue = Promise.resolve();  // taps are written one after another: one record per household

function markButtons(row, present) {
  for (const button of row.querySelectorAll("[data-mark]")) {
    const chosen = present !== undefined && present !== null && (button.dataset.mark === "present") === present;
    button.setAttribute("aria-pressed", String(chosen));
  }
  const note = row.querySelector("input[name=note]");
  if (note) note.disabled = present === undefined || present === null;
}

function showSaved(row) {
  row.querySelector(".row-saved").replaceChildren(savedNote());
}

// Why a mark on this day would be refused (the day has not come yet), or null.
function dayProblem() {
  const session = view.get("session", sessionId);
  return checkAttendance({ present: true }, session ? session.fields : null, locale).session_id || null;
}

function showDayNotice() {
  const notice = document.querySelector("[data-day-notice]");
  const problem = dayProblem();
  notice.textContent = problem || "";
  notice.hidden = !problem;
  for (const button of document.querySelectorAll("[data-mark]")) {
    if (problem) button.setAttribute("aria-describedby", notice.id);
    else button.removeAttribute("aria-describedby");
  }
}

// The row of a household as the page shows it now: a redraw after a sync may have replaced the one tapped.
function liveRow(row, householdId) {
  return document.querySelector(`[data-sheet] [data-household-id="${householdId}"]`) || row;
}

async function mark(tapped, householdId, present) {
  const row = () => liveRow(tapped, householdId);
  const existing = view.byKey("attendance", { session_id: sessionId, household_id: householdId });
  if (existing && existing.fields.present === present) return;  // already chosen: nothing to queue
  const values = existing ? { present } : { session_id: sessionId, household_id: householdId, present };
  const problem = checkAttendance(values, view.get("session", sessionId)?.fields, locale).session_id;
  if (problem) {  // refused here, as the server would: nothing reaches the outbox
    showDayNotice();
    row().querySelector(".row-saved").replaceChildren(el("p", { class: "error", role: "alert", "data-refused": "" }, problem));
    return;
  }
  try {
    await save(view, "attendance", existing, values, uuid());
  } catch (error) {
    saveFailed(row().querySelector(".row-saved"), error);
    return;
  }
  markButtons(row(), present);
  showSaved(row());
  updateSummary();
  saved();
}

async function saveNote(tapped, householdId, note) {
  const row = () => liveRow(tapped, householdId);
  const existing = view.byKey("attendance", { session_id: sessionId, household_id: householdId });
  if (!existing) return;
  let op;
  try {
    op = await save(view, "attendance", existing, { note: note.trim() || null }, null);
  } catch (error) {
    saveFailed(row().querySelector(".row-saved"), error);
    return;
  }
  if (op) showSaved(row());
  saved(row());
}

function rows() {
  const session = view.get("session", sessionId);
  const enrolled = view.where("enrollment", (f) => f.training_id === session.fields.training_id && f.status === "selected");
  return enrolled.map((e) => view.get("household", e.fields.household_id)).filter(Boolean).sort(byHouseNo);
}

function updateSummary() {
  const list = rows();
  const present = list.filter((h) => view.byKey("attendance", { session_id: sessionId, household_id: h.id })?.fields.present === true).length;
  document.querySelector("[data-session-summary]").textContent = t("n_present", { present, total: list.length });
}

function row(household) {
  const attendance = view.byKey("attendance", { session_id: sessionId, household_id: household.id });
  const present = attendance ? attendance.fields.present : null;
  const tap = (value) => () => { queue = queue.then(() => mark(item, household.id, value)).catch(() => {}); };
  const label = `${household.fields.house_no} ${household.fields.head_name}`;
  const item = el("li", { class: "sheet-row", "data-household-id": household.id },
    el("div", { class: "who" }, el("a", { href: `/field/households/${household.id}` }, label), " ", attendance ? badge(attendance) : null),
    el("div", { class: "marks", role: "group", "aria-label": label },
      el("button", { type: "button", class: "mark present", "data-mark": "present", "aria-pressed": "false", onclick: tap(true) }, t("present")),
      el("button", { type: "button", class: "mark absent", "data-mark": "absent", "aria-pressed": "false", onclick: tap(false) }, t("absent"))),
    el("label", { class: "note" }, el("span", { class: "visually-hidden" }, `${t("note")} ${label}`),
      el("input", { type: "text", name: "note", placeholder: t("note"), value: attendance?.fields.note || "",
                    onchange: (event) => { queue = queue.then(() => saveNote(item, household.id, event.target.value)).catch(() => {}); } })),
    el("div", { class: "row-saved" }));
  markButtons(item, present);
  return item;
}

async function render() {
  view = await loadView();
  const session = view.get("session", sessionId);
  const sheet = document.querySelector("[data-sheet]");
  if (!session) {
    sheet.replaceChildren(el("li", {}, t("not_on_phone"), " ", el("a", { href: "/field/prepare" }, t("prepare_villages"))));
    return;
  }
  const village = view.get("village", session.fields.village_id);
  document.querySelector("[data-session-title]").textContent =
    `${village ? village.fields.name : ""} · ${sessionLabel(session)}`;
  document.title = `${sessionLabel(session)} · ${village ? village.fields.name : ""}`;
  // A redraw (after a sync) keeps what each row said: a save refused for lack of space must stay said.
  const said = new Map([...sheet.querySelectorAll("[data-household-id]")]
    .map((item) => [item.dataset.householdId, item.querySelector(".row-saved")]));
  sheet.replaceChildren(...rows().map(row));
  for (const item of sheet.querySelectorAll("[data-household-id]")) {
    const before = said.get(item.dataset.householdId);
    if (before && before.childNodes.length) item.querySelector(".row-saved").replaceWith(before);
  }
  showDayNotice();
  document.querySelector("[data-session-when]").textContent =
    `${kindLabel(session.fields.kind)}${session.fields.date ? ` · ${formatDate(session.fields.date, locale)}` : ""}`;
  updateSummary();
}

// After a sync: redraw, unless the officer is typing a note.
let stale = false;
async function onData() {
  if (document.activeElement && document.activeElement.name === "note") { stale = true; return; }
  await queue;
  await render();
}
document.addEventListener("focusout", () => { if (stale) { stale = false; onData(); } });

boot({ render, onData });
