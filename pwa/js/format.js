// How the phone shows dates (Buddhist Era, as the office pages do), money and sizes.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The words the server's catalogs give the phone (embedded in field pages as #rule-words): a message
// id (the English sentence, or a month's abbreviation) in Thai; in English the id is the text.
let WORDS = null;
export function words(id, locale) {
  if (locale === "en") return id;
  if (WORDS === null) {
    const embedded = typeof document !== "undefined" && document.getElementById("rule-words");
    WORDS = embedded ? JSON.parse(embedded.textContent) : {};
  }
  return WORDS[id] || id;
}
const BANGKOK = "Asia/Bangkok";

export function formatDate(iso, locale) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  if (!y || !m || !d) return iso;
  const month = words(MONTHS[m - 1], locale);
  return locale === "en" ? `${d} ${month} ${y + 543} BE` : `${d} ${month} ${y + 543}`;
}

// A moment shown in Thai time: day, month, Buddhist-Era year and the hour, as on the office pages.
export function formatMoment(iso, locale) {
  if (!iso) return "";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  const day = todayIso(moment);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone: BANGKOK, hour: "2-digit", minute: "2-digit", hour12: false })
    .format(moment);
  return `${formatDate(day, locale)} ${time}`;
}

// The phone's today in Thailand, as <input type=date> wants it (YYYY-MM-DD).
export function todayIso(moment = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: BANGKOK, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(moment);
}

export function addMonths(iso, months) {
  const [y, m, d] = iso.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(d, last));
  return date.toISOString().slice(0, 10);
}

export function formatMoney(value) {
  if (value === null || value === undefined || value === "") return "";
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(value);
}

export function formatBytes(bytes) {
  if (!bytes) return "0 KB";
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function maskCitizenId(value) {
  return value ? `x-xxxx-xxxxx-${value.slice(10, 12)}-${value.slice(12)}` : "";
}
