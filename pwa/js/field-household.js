// /field/households/{id}: a household's details, its trainings, and its surveys done and due.

import { badge, boot, el, nowrap, followUpMonths, locale, occupationName, pathParts, saveFailed, saved, savedNote, t } from "./field-common.js";
import { addMonths, formatDate, formatMoney, maskCitizenId } from "./format.js";
import { loadView, save } from "./overlay.js";
import { fieldLabel, recordWords, valueWords } from "./record-words.js";
import { getMeta } from "./store.js";
import { surveyComplete, surveyKinds } from "./survey-kinds.js";

const householdId = pathParts()[2];


// When each survey is due: the baseline by the first training day, the after-training survey on
// the last, follow-ups the configured months after it.
function dueDates(view, household) {
  const enrollments = view.where("enrollment", (f) => f.household_id === household.id && f.status === "selected");
  const dates = enrollments.flatMap((e) => view.where("session", (f) => f.training_id === e.fields.training_id))
    .map((s) => s.fields.date).filter(Boolean).sort();
  if (!dates.length) return {};
  const last = dates[dates.length - 1];
  const due = { baseline: dates[0], after_training: last };
  for (const months of followUpMonths()) due[`follow_up_${months}m`] = addMonths(last, months);
  return due;
}

// A supervisor's "needs fix" on this household or one of its records: the phone may only answer
// that it was fixed, with a note.
function reviewTasks(view, household) {
  const own = new Set([`household:${household.id}`]);
  for (const entity of ["survey", "attendance", "enrollment"]) {
    for (const r of view.where(entity, (f) => f.household_id === household.id)) own.add(`${entity}:${r.id}`);
  }
  const open = view.where("review_task", (f) => f.status === "open" && own.has(`${f.record_entity}:${f.record_id}`));
  if (!open.length) return null;
  return el("section", { class: "card review" }, el("h2", {}, t("needs_fix")), open.map((task) => {
    const note = el("textarea", { id: `fixed-${task.id}`, name: "fixed_note", rows: "2" });
    const answer = el("div", {});
    return el("div", { "data-review-task": task.id },
      el("p", {}, `${t(`entity_${task.fields.record_entity}`)}: ${task.fields.note || ""}`),
      el("label", { for: `fixed-${task.id}` }, t("fixed_note")), note,
      el("button", { type: "button", class: "primary", "data-action": "mark-fixed", onclick: async () => {
        try {
          await save(view, "review_task", task, { status: "fixed", fixed_note: note.value.trim() || null }, null);
        } catch (error) {
          saveFailed(answer, error);
          return;
        }
        answer.replaceChildren(savedNote());
        saved(note.parentElement);
      } }, t("mark_fixed")), answer);
  }));
}

// A phrase with {name} slots filled by nodes (a date kept whole on one line).
function words(text, nodes) {
  return text.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part);
    return name && nodes[name[1]] ? nodes[name[1]] : part;
  });
}

// Values this phone sent on this household's records that lost a merge: what a supervisor kept, or
// that the decision is awaited.
function decided(view, household, conflicts) {
  const rows = [];
  for (const entry of conflicts || []) {
    const record = view.get(entry.entity, entry.id);
    const householdId = entry.entity === "household" ? entry.id : record && record.fields.household_id;
    if (householdId !== household.id) continue;
    const settledAll = (record && record.fields.resolved_conflicts) || [];
    for (const conflict of entry.conflicts) {
      const settled = settledAll.find((r) => r.conflict_id === conflict.conflict_id);
      const words = recordWords(view, entry.entity, entry.id);
      const vars = { field: fieldLabel(conflict.field), other: valueWords(conflict.field, conflict.other),
                     kept: valueWords(conflict.field, settled ? settled.kept : conflict.kept) };
      rows.push(el("li", { "data-conflict": conflict.conflict_id || "", "data-conflict-state": settled ? "resolved" : "open" },
        [words.what, words.day ? nowrap(words.day) : null].filter(Boolean).flatMap((p, i) => (i ? [" · ", p] : [p])), ": ",
        settled ? t("conflict_resolved_text", vars) : t("conflict_text", vars)));
    }
  }
  return rows.length ? el("section", { class: "card review", "data-decided": "" }, el("h2", {}, t("conflicts")),
    el("ul", { class: "plain" }, rows)) : null;
}

function detail(label, value) {
  return value === "" || value === null || value === undefined ? null : el("div", { class: "detail" }, el("dt", {}, label), el("dd", {}, value));
}

async function render() {
  const [view, conflicts] = await Promise.all([loadView(), getMeta("conflicts", [])]);
  const household = view.get("household", householdId);
  const box = document.querySelector("[data-household]");
  if (!household) {
    box.replaceChildren(el("p", {}, t("not_on_phone"), " ", el("a", { href: "/field/prepare" }, t("prepare_villages"))));
    return;
  }
  const f = household.fields;
  document.querySelector("[data-household-title]").replaceChildren(nowrap(f.house_no), " ", nowrap(f.head_name));
  const village = view.get("village", f.village_id);
  const trainings = view.where("enrollment", (e) => e.household_id === household.id && e.status === "selected")
    .map((e) => view.get("training", e.fields.training_id)).filter(Boolean);
  const due = dueDates(view, household);
  // replaceChildren writes a null as the text "null": only nodes go in.
  box.replaceChildren(...[
    el("p", {}, village ? village.fields.name : "", " ", badge(household)),
    reviewTasks(view, household),
    decided(view, household, conflicts),
    el("dl", { class: "details" },
      detail(t("members"), f.members ?? ""),
      detail(t("annual_income"), formatMoney(f.annual_income)),
      detail(t("citizen_id"), maskCitizenId(f.citizen_id)),
      detail(t("phone"), f.phone || ""),
      detail(t("consent_given"), f.consent ? t("yes") : t("no")),
      detail(t("note"), f.note || "")),
    el("p", {}, el("a", { class: "button", href: `/field/villages/${f.village_id}/households/new?household=${household.id}` }, t("edit"))),
    trainings.length ? el("h2", {}, t("trainings")) : null,
    trainings.length ? el("ul", { class: "plain" }, trainings.map((tr) => el("li", {},
      `${tr.fields.title || occupationName(view, tr.fields.occupation)} · ${tr.fields.fiscal_year}`))) : null,
    el("h2", {}, t("surveys")),
    el("ul", { class: "plain surveys" }, surveyKinds().map((kind) => {
      const survey = view.byKey("survey", { household_id: household.id, kind });
      const complete = survey && surveyComplete(survey.fields);
      // A survey always shows its date; one that lacks its date or income says so (it does not count).
      const dated = survey && survey.fields.surveyed_on ? nowrap(formatDate(survey.fields.surveyed_on, locale)) : null;
      let state;
      if (complete) state = words(t("done_on", { date: "{date}" }), { date: dated });
      else if (survey) state = dated ? [words(t("incomplete_on", { date: "{date}" }), { date: dated })] : t("incomplete_undated");
      else state = due[kind] ? words(t("due_on", { date: "{date}" }), { date: nowrap(formatDate(due[kind], locale)) })
        : t("not_done");
      return el("li", { "data-survey-kind": kind, "data-survey-done": complete ? "true" : "false" },
        el("a", { class: "button wide survey-link", href: `/field/households/${household.id}/surveys/${kind}` },
          el("span", { class: "survey-name" }, t(`survey_${kind}`)), el("span", { class: "muted survey-state" }, state)),
        survey ? badge(survey) : null);
    })),
  ].filter(Boolean));
}

boot({ render });
