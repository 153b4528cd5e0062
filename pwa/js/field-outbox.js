// /field/outbox: what waits to be sent, what the server rejected and why (fix, send again or
// discard), and the conflicts a supervisor will decide.

import { boot, el, locale, saved, showStatus, t } from "./field-common.js";
import { formatMoment } from "./format.js";
import { loadView } from "./overlay.js";
import { discardOp, getMeta, outboxAll, resendOp } from "./store.js";

function describe(view, op) {
  const f = op.fields;
  const householdId = op.entity === "household" ? op.id : f.household_id;
  const household = householdId ? view.get("household", householdId) : null;
  const name = op.entity === "household" && f.house_no ? `${f.house_no} ${f.head_name || ""}`
    : household ? `${household.fields.house_no} ${household.fields.head_name}` : "";
  let what = "";
  if (op.entity === "attendance" && "present" in f) what = f.present ? t("present") : t("absent");
  if (op.entity === "survey" && f.kind) what = t(`survey_${f.kind}`);
  return [t(`entity_${op.entity}`), name, what].filter(Boolean).join(" · ");
}

function fixLink(view, op) {
  if (op.entity === "household") {
    const village = op.fields.village_id || view.get("household", op.id)?.fields.village_id;
    if (village) return `/field/villages/${village}/households/new?household=${op.id}&op=${op.op_id}`;
  }
  if (op.entity === "survey") {
    const survey = view.get("survey", op.id);
    const householdId = op.fields.household_id || survey?.fields.household_id;
    const kind = op.fields.kind || survey?.fields.kind;
    if (householdId && kind) return `/field/households/${householdId}/surveys/${kind}?op=${op.op_id}`;
  }
  if (op.entity === "attendance") {
    const sessionId = op.fields.session_id || view.get("attendance", op.id)?.fields.session_id;
    if (sessionId) return `/field/sessions/${sessionId}`;
  }
  return null;
}

function reason(error) {
  const message = locale === "en" ? (error.message_en || error.message) : (error.message_th || error.message);
  return message;
}

async function render() {
  const [view, ops, conflicts] = await Promise.all([loadView(), outboxAll(), getMeta("conflicts", [])]);
  const pending = ops.filter((op) => op.status === "pending");
  const rejected = ops.filter((op) => op.status === "rejected");
  const box = document.querySelector("[data-outbox]");
  box.replaceChildren(
    el("h2", {}, `${t("rejected")} (${rejected.length})`),
    rejected.length ? el("ul", { class: "plain ops" }, rejected.map((op) => {
      const link = fixLink(view, op);
      return el("li", { class: "card op rejected", "data-rejected-op": op.op_id },
        el("p", {}, el("strong", {}, describe(view, op))),
        el("ul", { class: "reasons" }, (op.errors || []).map((e) => el("li", { class: "error" }, reason(e)))),
        el("div", { class: "actions" },
          link ? el("a", { class: "button", href: link, "data-action": "fix" }, t("fix")) : null,
          el("button", { type: "button", "data-action": "resend", onclick: async () => { await resendOp(op.op_id); saved(); render(); } }, t("resend")),
          el("button", { type: "button", "data-action": "discard", onclick: async () => {
            if (!window.confirm(t("discard_confirm"))) return;
            await discardOp(op.op_id); await showStatus(); render();
          } }, t("discard"))));
    })) : el("p", { class: "muted" }, t("no_rejected")),
    el("h2", {}, `${t("waiting")} (${pending.length})`),
    pending.length ? el("ul", { class: "plain ops" }, pending.map((op) => el("li", { class: "op", "data-pending-op": op.op_id },
      describe(view, op), " · ", el("span", { class: "muted" }, formatMoment(op.created, locale))))) :
      el("p", { class: "muted" }, t("nothing_waiting")),
    (conflicts || []).length ? el("h2", {}, t("conflicts")) : null,
    (conflicts || []).length ? el("ul", { class: "plain ops" }, conflicts.flatMap((c) => c.conflicts.map((x) =>
      el("li", { class: "op conflict", "data-conflict": x.conflict_id || "" },
        `${t(`entity_${c.entity}`)} · `, t("conflict_text", { field: x.field, kept: String(x.kept), other: String(x.other) }))))) : null);
}

boot({ render });
