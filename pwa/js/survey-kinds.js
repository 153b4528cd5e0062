// The surveys of a household: a baseline, one after training, and the configured follow-ups.

import { followUpMonths } from "./field-common.js";

export function surveyKinds() {
  return ["baseline", "after_training", ...followUpMonths().map((m) => `follow_up_${m}m`)];
}
