// Reading and filling the phone's forms: numbers as plain digits, booleans as checkboxes.

const THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";

function digits(text) {
  return text.replace(/[๐-๙]/g, (d) => String(THAI_DIGITS.indexOf(d))).replace(/[\s,]/g, "");
}

// Blank text is null; a whole number becomes a number; anything else stays text for the rules
// to answer with their message.
export function readForm(form, kinds) {
  const values = {};
  for (const [name, kind] of Object.entries(kinds)) {
    const input = form.elements[name];
    if (!input) continue;
    if (kind === "bool") { values[name] = input.checked; continue; }
    // A yes / no / not known choice: true, false or null.
    if (kind === "tri") { values[name] = input.value === "yes" ? true : (input.value === "no" ? false : null); continue; }
    const raw = input.value.trim();
    if (kind === "int") {
      const cleaned = digits(raw);
      values[name] = cleaned === "" ? null : (/^-?\d+$/.test(cleaned) ? Number(cleaned) : raw);
    } else if (kind === "cid") {
      const cleaned = digits(raw).replace(/-/g, "");
      values[name] = cleaned === "" ? null : cleaned;
    } else {
      values[name] = raw === "" ? null : raw;
    }
  }
  return values;
}

// Fills a form with what the phone holds, then opens its fields (the page serves them closed, in a
// `<fieldset data-form-fields disabled>`): on a slow phone the officer could otherwise start typing
// before the stored values arrive, and lose what was typed when they do.
export function fillForm(form, kinds, values) {
  for (const [name, kind] of Object.entries(kinds)) {
    const input = form.elements[name];
    if (!input || !(name in values)) continue;
    const value = values[name];
    // What a form is filled with counts as saved: only what the officer types is unsaved input.
    if (kind === "bool") input.checked = input.defaultChecked = value === true;
    else if (kind === "tri") {
      input.value = value === true ? "yes" : (value === false ? "no" : "");
      for (const option of input.options || []) option.defaultSelected = option.value === input.value;
    } else input.value = input.defaultValue = value === null || value === undefined ? "" : String(value);
  }
  const fields = form.querySelector("[data-form-fields]");
  if (fields) fields.disabled = false;
}
