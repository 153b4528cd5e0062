// A record, a field and a value in the officer's words: household house number and head, the
// training day and its date, the survey and its date — never a field name, an id or an ISO date.

import { locale, t } from "./field-common.js";
import { formatDate, formatMoney } from "./format.js";

const MONEY = new Set(["annual_income", "annual_expenses", "savings", "debt", "trade_income_month"]);
const DATES = new Set(["surveyed_on", "date"]);

export function fieldLabel(field) {
  return field === "_deleted" ? t("field__deleted") : t(`field_${field}`);
}

export function valueWords(field, value) {
  if (value === null || value === undefined || value === "") return t("value_none");
  if (field === "present") return value ? t("present") : t("absent");
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (MONEY.has(field)) return t("baht", { amount: formatMoney(value) });
  if (DATES.has(field)) return formatDate(String(value), locale);
  if (field === "_deleted") return value ? t("deleted") : t("kept_record");
  if (field === "kind") return t(`survey_${value}`);
  return String(value);
}

export function householdWords(view, householdId, fallback = {}) {
  const household = householdId ? view.get("household", householdId) : null;
  const f = household ? household.fields : fallback;
  return f.house_no ? t("house_of", { house_no: f.house_no, head: f.head_name || "" }).trim() : "";
}

// [household, what, day]: the parts naming a record (or an op's record) for a list row.
export function recordWords(view, entity, id, fields = {}) {
  const stored = view.get(entity, id);
  const f = { ...(stored ? stored.fields : {}), ...fields };
  const householdId = entity === "household" ? id : f.household_id;
  const household = householdWords(view, householdId, entity === "household" ? f : {});
  let what = t(`entity_${entity}`);
  let day = "";
  if (entity === "attendance") {
    const session = f.session_id ? view.get("session", f.session_id) : null;
    if (session) {
      day = t("day_n", { n: session.fields.day });
      if (session.fields.date) day += ` (${formatDate(session.fields.date, locale)})`;
    }
    if ("present" in fields) what = `${what}: ${fields.present ? t("present") : t("absent")}`;
  }
  if (entity === "survey") {
    if (f.kind) what = t(`survey_${f.kind}`);
    if (f.surveyed_on) day = formatDate(f.surveyed_on, locale);
  }
  return { household, what, day };
}
