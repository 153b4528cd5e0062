// /field: the prepared villages with their trainings, training days and households.

import { badge, boot, byHouseNo, el, kindLabel, locale, occupationName, sessionLabel, t } from "./field-common.js";
import { formatDate } from "./format.js";
import { loadView } from "./overlay.js";
import { getMeta } from "./store.js";


function villageCard(view, village) {
  const trainings = view.where("training", (f) => f.village_id === village.id)
    .sort((a, b) => (b.fields.fiscal_year || 0) - (a.fields.fiscal_year || 0));
  const households = view.where("household", (f) => f.village_id === village.id).sort(byHouseNo);
  return el("section", { class: "card", "data-prepared-village": village.id },
    el("h2", {}, `${village.fields.name} (${t("village_no", { n: village.fields.number })})`),
    trainings.map((training) => {
      const sessions = view.where("session", (f) => f.training_id === training.id)
        .sort((a, b) => a.fields.day - b.fields.day);
      return el("div", { class: "training" },
        el("h3", {}, training.fields.title || occupationName(view, training.fields.occupation),
           ` · ${training.fields.fiscal_year}`),
        el("ul", { class: "plain days" }, sessions.map((s) => el("li", {},
          el("a", { class: "button", href: `/field/sessions/${s.id}` },
             `${sessionLabel(s)} · ${kindLabel(s.fields.kind)}${s.fields.date ? ` · ${formatDate(s.fields.date, locale)}` : ""}`)))));
    }),
    el("h3", {}, `${t("households")} (${households.length})`),
    el("ul", { class: "plain households" }, households.map((h) => el("li", {},
      el("a", { href: `/field/households/${h.id}` }, `${h.fields.house_no} ${h.fields.head_name}`), " ", badge(h)))),
    el("p", {}, el("a", { class: "button", href: `/field/villages/${village.id}/households/new` }, t("new_household"))));
}

async function render() {
  const [view, ready] = await Promise.all([loadView(), getMeta("ready", [])]);
  const box = document.querySelector("[data-field-home]");
  const villages = (ready || []).map((id) => view.get("village", id)).filter(Boolean);
  if (!villages.length) {
    box.replaceChildren(el("p", {}, t("no_prepared")));
    return;
  }
  box.replaceChildren(...villages.map((v) => villageCard(view, v)));
}

boot({ render });
