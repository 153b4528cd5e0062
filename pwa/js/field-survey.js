// /field/households/{id}/surveys/{kind}: a baseline or follow-up survey, checked on the phone
// with the server's rules before it reaches the outbox.

import { boot, el, locale, pathParts, saveFailed, saved, savedNote, showFieldErrors, t } from "./field-common.js";
import { readForm, fillForm } from "./forms.js";
import { loadView, save } from "./overlay.js";
import { checkSurvey } from "./rules.js";
import { outboxAll, resendOp, uuid } from "./store.js";
import { todayIso } from "./format.js";
import { surveyKinds } from "./survey-kinds.js";

const [, , householdId, , kind] = pathParts();
const form = document.querySelector("[data-survey-form]");
const fixing = new URLSearchParams(location.search).get("op");
const FIELDS = { surveyed_on: "date", annual_income: "int", income_unknown: "bool", annual_expenses: "int", savings: "int",
  debt: "int", trade_income_month: "int", practising_trade: "bool", note: "text" };
let view = null;

// What the survey's date is checked against (rules.survey_earliest): the household's first training.
function householdFacts(records) {
  const years = records.where("enrollment", (f) => f.household_id === householdId)
    .map((e) => records.get("training", e.fields.training_id)).filter(Boolean).map((tr) => tr.fields.fiscal_year);
  return { first_training_year: years.length ? Math.min(...years) : null };
}

async function render() {
  view = await loadView();
  const household = view.get("household", householdId);
  if (!surveyKinds().includes(kind)) {
    form.hidden = true;
    document.querySelector("[data-survey-household]").textContent = t("not_on_phone");
    return;
  }
  document.querySelector("[data-survey-title]").textContent = t(`survey_${kind}`);
  document.querySelector("[data-survey-household]").replaceChildren(household
    ? el("a", { href: `/field/households/${householdId}` }, `${household.fields.house_no} ${household.fields.head_name}`)
    : t("not_on_phone"));
  const survey = view.byKey("survey", { household_id: householdId, kind });
  let values = survey ? survey.fields : { surveyed_on: todayIso() };
  if (fixing) {
    const op = (await outboxAll()).find((o) => o.op_id === fixing);
    if (op) values = { ...values, ...op.fields };
  }
  fillForm(form, FIELDS, values);
  if (!form.elements.surveyed_on.value) form.elements.surveyed_on.value = form.elements.surveyed_on.defaultValue = todayIso();
}

async function submit(event) {
  event.preventDefault();
  form.querySelector("[data-saved]")?.remove();
  const values = readForm(form, FIELDS);
  const errors = checkSurvey({ ...values, household_id: householdId, kind }, householdFacts(view), locale);
  showFieldErrors(form, errors);
  if (Object.keys(errors).length) return;
  try {
    if (fixing && (await outboxAll()).some((o) => o.op_id === fixing)) {
      await resendOp(fixing, values);
      history.replaceState(null, "", location.pathname);
    } else {
      const survey = view.byKey("survey", { household_id: householdId, kind });
      await save(view, "survey", survey, survey ? values : { household_id: householdId, kind, ...values }, uuid());
    }
  } catch (error) {
    saveFailed(form.querySelector("[data-saved-slot]"), error);
    return;
  }
  form.querySelector("[data-saved-slot]").replaceChildren(savedNote(),
    el("a", { class: "button", href: `/field/households/${householdId}` }, t("open_household")));
  saved(form);
}

form.addEventListener("submit", submit);
// A sync does not redraw a form the officer may be filling in.
boot({ render, onData: async () => {} });
