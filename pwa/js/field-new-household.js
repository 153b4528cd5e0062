// /field/villages/{id}/households/new: register a household found in the field (or edit one the
// phone holds, or fix a rejected one), checked on the phone with the server's rules.

import { boot, el, locale, occupationName, pathParts, saveFailed, saved, savedNote, showFieldErrors, t } from "./field-common.js";
import { fillForm, readForm } from "./forms.js";
import { loadView, save } from "./overlay.js";
import { checkHousehold } from "./rules.js";
import { outboxAll, resendOp, uuid } from "./store.js";

const villageId = pathParts()[2];
const form = document.querySelector("[data-household-form]");
const query = new URLSearchParams(location.search);
let householdId = query.get("household");
let fixing = query.get("op");
const FIELDS = { house_no: "text", head_name: "text", citizen_id: "cid", members: "int", annual_income: "int",
                 phone: "text", consent: "bool", interest: "text", welfare_card: "tri", note: "text" };
let view = null;

// The trade picker: the configuration's trades as the phone last pulled them (a retired trade the
// household already has stays choosable, so an edit does not drop it).
function fillTrades(current) {
  const select = form.elements.interest;
  const trades = view.where("occupation", (f) => f.kind === "trade" && f.active !== false)
    .sort((a, b) => (a.fields.sort_order ?? 0) - (b.fields.sort_order ?? 0));
  const codes = trades.map((r) => r.id);
  if (current && !codes.includes(current)) codes.push(current);
  select.replaceChildren(el("option", { value: "" }, "—"),
    ...codes.map((code) => el("option", { value: code }, occupationName(view, code))));
}

async function render() {
  view = await loadView();
  const village = view.get("village", villageId);
  document.querySelector("[data-form-village]").textContent = village ? village.fields.name : "";
  let values = { members: null, consent: false };
  const household = householdId ? view.get("household", householdId) : null;
  if (household) {
    values = household.fields;
    document.querySelector("[data-form-title]").textContent = `${t("edit")}: ${household.fields.house_no} ${household.fields.head_name}`;
  }
  if (fixing) {
    const op = (await outboxAll()).find((o) => o.op_id === fixing);
    if (op) values = { ...values, ...op.fields };
  }
  fillTrades(values.interest);
  fillForm(form, FIELDS, values);
}

async function submit(event) {
  event.preventDefault();
  form.querySelector("[data-saved]")?.remove();
  const values = readForm(form, FIELDS);
  const errors = checkHousehold({ ...values, village_id: villageId }, locale);
  showFieldErrors(form, errors);
  if (Object.keys(errors).length) return;
  try {
    if (fixing && (await outboxAll()).some((o) => o.op_id === fixing)) {
      const again = await resendOp(fixing, values);
      householdId = again.id;
      fixing = null;
    } else {
      const existing = householdId ? view.get("household", householdId) : null;
      const id = existing ? existing.id : (householdId || uuid());
      await save(view, "household", existing, existing ? values : { village_id: villageId, ...values }, id);
      householdId = id;
    }
  } catch (error) {
    saveFailed(form.querySelector("[data-saved-slot]"), error);
    return;
  }
  // Saving again edits this household; it does not register a second one.
  history.replaceState(null, "", `${location.pathname}?household=${householdId}`);
  form.querySelector("[data-saved-slot]").replaceChildren(savedNote(),
    el("a", { class: "button", href: `/field/households/${householdId}` }, t("open_household")));
  saved(form);
}

form.addEventListener("submit", submit);
boot({ render, onData: async () => {} });
