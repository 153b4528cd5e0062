// /field: the prepared villages with their trainings, training days and households.

import { badge, boot, byHouseNo, el, nowrap, kindLabel, locale, occupationName, sessionLabel, t } from "./field-common.js";
import { formatDate } from "./format.js";
import { loadView } from "./overlay.js";
import { getMeta } from "./store.js";
import { renameDevice } from "./sync.js";


// The households of a village, narrowed as the officer types a house number or a name. A sync
// draws the page again while the officer may be typing: each village keeps its one search box
// across redraws (with its text, caret and focus), so no keystroke lands in a box that has left.
const searches = new Map();

function householdList(village, households) {
  const list = el("ul", { class: "plain households", "data-household-list": village.id }, households.map((h) =>
    el("li", { "data-search": `${h.fields.house_no} ${h.fields.head_name}`.toLowerCase() },
      el("a", { href: `/field/households/${h.id}` }, nowrap(h.fields.house_no), " ", nowrap(h.fields.head_name)), " ", badge(h))));
  let search = searches.get(village.id);
  if (!search) {
    search = el("input", { type: "search", name: "q", "aria-label": t("search_households"),
                           placeholder: t("search_households"), "data-household-search": village.id,
                           oninput: () => search.narrow() });
    searches.set(village.id, search);
  }
  search.narrow = () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    for (const li of list.children) li.hidden = !words.every((w) => li.dataset.search.includes(w));
  };
  search.narrow();
  return { list, search };
}

// Building the new page takes the focused search box out of the old one, and its focus with it:
// noted before, given back once the new page is in.
function keepingFocus() {
  const focused = document.activeElement;
  if (!focused || !focused.matches || !focused.matches("[data-household-search]")) return () => {};
  const caret = [focused.selectionStart, focused.selectionEnd];
  return () => {
    if (!focused.isConnected || document.activeElement === focused) return;
    focused.focus();
    focused.setSelectionRange(...caret);
  };
}

function villageCard(view, village) {
  const trainings = view.where("training", (f) => f.village_id === village.id)
    .sort((a, b) => (b.fields.fiscal_year || 0) - (a.fields.fiscal_year || 0));
  const households = view.where("household", (f) => f.village_id === village.id).sort(byHouseNo);
  const { list, search } = householdList(village, households);
  return el("section", { class: "card", "data-prepared-village": village.id },
    el("h2", {}, `${village.fields.name} (${t("village_no", { n: village.fields.number })})`),
    // Registering a household and finding one come first: the list below can run long.
    el("div", { class: "list-tools" },
      el("a", { class: "button", href: `/field/villages/${village.id}/households/new`, "data-action": "new-household" },
        t("new_household")), search),
    trainings.map((training) => {
      const sessions = view.where("session", (f) => f.training_id === training.id)
        .sort((a, b) => a.fields.day - b.fields.day);
      return el("div", { class: "training" },
        el("h3", {}, training.fields.title || occupationName(view, training.fields.occupation),
           ` · ${training.fields.fiscal_year}`),
        el("ul", { class: "plain days" }, sessions.map((s) => el("li", {},
          el("a", { class: "button", href: `/field/sessions/${s.id}` },
             `${sessionLabel(s)} · ${kindLabel(s.fields.kind)}`, s.fields.date ? [" · ", nowrap(formatDate(s.fields.date, locale))] : null)))));
    }),
    el("h3", {}, `${t("households")} (${households.length})`),
    list);
}

// A supervisor's "needs fix" notes on records of the prepared villages: each links to the household
// page, where the officer fixes the record and answers the note.
function toFix(view) {
  const open = view.where("review_task", (f) => f.status === "open");
  if (!open.length) return null;
  return el("section", { class: "card review", "data-to-fix": String(open.length) },
    el("h2", {}, `${t("to_fix")} (${open.length})`),
    el("ul", { class: "plain" }, open.map((task) => {
      const f = task.fields;
      const record = view.get(f.record_entity, f.record_id);
      const householdId = f.record_entity === "household" ? f.record_id : record && record.fields.household_id;
      const household = householdId && view.get("household", householdId);
      const label = household ? `${household.fields.house_no} ${household.fields.head_name}` : t(`entity_${f.record_entity}`);
      return el("li", { "data-to-fix-task": task.id },
        householdId ? el("a", { href: `/field/households/${householdId}` }, label) : label,
        ` · ${t(`entity_${f.record_entity}`)}: ${f.note || ""}`);
    })));
}

async function render() {
  const [view, ready] = await Promise.all([loadView(), getMeta("ready", [])]);
  const box = document.querySelector("[data-field-home]");
  const villages = (ready || []).map((id) => view.get("village", id)).filter(Boolean);
  if (!villages.length) {
    box.replaceChildren(el("p", {}, t("no_prepared")));
    return;
  }
  const refocus = keepingFocus();
  box.replaceChildren(...[toFix(view), ...villages.map((v) => villageCard(view, v))].filter(Boolean));
  refocus();
}

// The phone's name, as the officer types it; the server keeps it for /devices and the conflict queue.
async function nameForm() {
  const form = document.querySelector('[data-form="device-name"]');
  if (!form) return;
  const input = form.elements.device_name;
  const result = form.querySelector("[data-device-name-result]");
  input.value = (await getMeta("device_name")) || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await renameDevice(input.value.trim());
    result.textContent = answer.ok ? result.dataset.savedText.replace("{name}", answer.name)
      : answer.reason === "offline" ? result.dataset.offlineText : result.dataset.refusedText;
  });
}

nameForm();
boot({ render });
