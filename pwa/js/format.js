// How the phone shows dates (Buddhist Era, as the office pages do), money and sizes.

const THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
const ENGLISH_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const BANGKOK = "Asia/Bangkok";

export function formatDate(iso, locale) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  if (!y || !m || !d) return iso;
  return locale === "en" ? `${d} ${ENGLISH_MONTHS[m - 1]} ${y + 543} BE` : `${d} ${THAI_MONTHS[m - 1]} ${y + 543}`;
}

// A moment shown in Thai time: "24 พ.ย. 2569 14:05".
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
