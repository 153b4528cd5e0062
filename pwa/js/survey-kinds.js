// The surveys of a household: a baseline, one after training, and the configured follow-ups.

import { followUpMonths } from "./field-common.js";

export function surveyKinds() {
  return ["baseline", "after_training", ...followUpMonths().map((m) => `follow_up_${m}m`)];
}

// rules.survey_complete: a survey counts once it has a date and an income or "not known" said.
export function surveyComplete(fields) {
  return Boolean(fields.surveyed_on) && (fields.annual_income !== null && fields.annual_income !== undefined
    || fields.income_unknown === true);
}
