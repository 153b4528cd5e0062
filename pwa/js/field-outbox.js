// /field/outbox: what waits to be sent, what the server rejected and why (fix, send again or
// discard), and the conflicts a supervisor will decide.

import { boot, el, locale, nowrap, saved, showStatus, syncSoon, t } from "./field-common.js";
import { HandoffProblem, loadHandoff, saveHandoff } from "./handoff.js";
import { formatMoment } from "./format.js";
import { loadView } from "./overlay.js";
import { fieldLabel, recordWords, valueWords } from "./record-words.js";
import { discardOp, getMeta, outboxAll, resendOp } from "./store.js";

// A row names the household, what was captured, and the day (the training day, the survey's date,
// and when it was captured), each kept whole on its line.
function describe(view, op) {
  const words = recordWords(view, op.entity, op.id, op.fields);
  return [words.household ? el("strong", { class: "nowrap" }, words.household) : null, nowrap(words.what),
    words.day ? nowrap(words.day) : null, nowrap(formatMoment(op.created, locale))]
    .filter(Boolean).flatMap((part, i) => (i ? [" · ", part] : [part]));
}

// What a supervisor decided on a value this phone sent that lost a merge, once the record's pull
// carries the settlement; until then, that it waits for the decision.
function conflictRow(view, entry, conflict) {
  const words = recordWords(view, entry.entity, entry.id);
  const record = view.get(entry.entity, entry.id);
  const settled = ((record && record.fields.resolved_conflicts) || []).find((r) => r.conflict_id === conflict.conflict_id);
  const vars = { field: fieldLabel(conflict.field), kept: valueWords(conflict.field, settled ? settled.kept : conflict.kept),
                 other: valueWords(conflict.field, conflict.other) };
  return el("li", { class: `op conflict${settled ? " settled" : ""}`, "data-conflict": conflict.conflict_id || "",
                    "data-conflict-state": settled ? "resolved" : "open" },
    el("p", {}, [words.household ? el("strong", { class: "nowrap" }, words.household) : null, words.what,
      words.day ? nowrap(words.day) : null].filter(Boolean).flatMap((part, i) => (i ? [" · ", part] : [part]))),
    el("p", {}, settled ? t("conflict_resolved_text", vars) : t("conflict_text", vars)),
    settled && settled.resolved_at ? el("p", { class: "muted" }, nowrap(formatMoment(settled.resolved_at, locale))) : null);
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
        el("p", {}, describe(view, op)),
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
      describe(view, op)))) :
      el("p", { class: "muted" }, t("nothing_waiting")),
    ...((conflicts || []).length ? [el("h2", {}, t("conflicts")), el("ul", { class: "plain ops" },
      conflicts.flatMap((c) => c.conflicts.map((x) => conflictRow(view, c, x))))] : []));
}

// Hand-off: save this officer's unsent captures to a file, or load such a file from another phone.
function handoffControls() {
  const box = document.querySelector("[data-handoff]");
  if (!box) return;
  const note = el("p", { role: "status", "data-handoff-result": "" });
  const problem = (error) => {
    if (!(error instanceof HandoffProblem)) throw error;
    note.className = "error";
    note.textContent = t(`handoff_${error.kind}`);
  };
  const input = el("input", { type: "file", id: "handoff-file", accept: ".json,application/json", "data-handoff-file": "" });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    try {
      const { added } = await loadHandoff(file);
      note.className = "saved";
      note.dataset.handoffAdded = String(added);
      note.textContent = added ? t("handoff_loaded", { n: added }) : t("handoff_nothing_new");
      await showStatus();
      await render();
      syncSoon();
    } catch (error) { problem(error); } finally { input.value = ""; }
  });
  box.replaceChildren(
    el("h2", {}, t("handoff_title")),
    el("p", { class: "muted" }, t("handoff_help")),
    el("div", { class: "actions" },
      el("button", { type: "button", "data-action": "save-handoff", onclick: async () => {
        try {
          const n = await saveHandoff();
          note.className = "saved";
          note.textContent = t("handoff_saved", { n });
        } catch (error) { problem(error); }
      } }, t("handoff_save"))),
    el("label", { for: "handoff-file" }, t("handoff_load")),
    input,
    note);
}

boot({ render });
handoffControls();
