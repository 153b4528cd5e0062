// The checks a phone makes before saving: server/program/rules.py's rules and words, for what a phone knows alone.
//
// Each function here mirrors one in server/program/rules.py or field_checks.py (named beside it); tests/cases/field_rules.json
// runs the same cases through both and compares their messages word for word, so a change to a rule
// or a message on one side fails until the other side follows.
//
// Values come from form inputs: text (trimmed here; blank is "not given"), checkboxes as booleans.
// A number passes only as plain ASCII digits (a leading "-" is read, so a negative income is named
// as such): a value these checks accept is read by Number(text.trim()).
//
// "Today" is the phone's today in Thailand (Asia/Bangkok), as the server's rules.thai_today(),
// whatever time zone the phone is set to.

import { formatDate, todayIso, words } from "./format.js";

const SURVEY_KINDS = ["baseline", "after_training", "follow_up_3m", "follow_up_6m", "follow_up_12m"];
const INCOME_KINDS = SURVEY_KINDS; // rules.INCOME_KINDS: every kind asks the year's income
const MAX_INCOME = 100000000; // rules.MAX_INCOME
const MAX_MEMBERS = 50;
const MIN_YEAR = 1900;
const MAX_YEAR = 2200;

// Python's str.strip() and "\s" (str.isspace()); JavaScript's trim() and \s differ at the edges.
const SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const OUTER_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
const SPACE_OR_DASH = new RegExp(`[${SPACE}-]`, "g");
const THAI_DIGIT = /[\u0e50-\u0e59]/g; // ๐..๙

// [Thai, English] pairs: the server's own sentences (its FieldError message ids), in the words the
// field page embeds from the catalogs (#rule-words, server/program/phone_words.py).
const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const say = (id, values = {}) => ["th", "en"].map((locale) => fill(words(id, locale), values, locale));
const MESSAGES = {
  required: () => say("This field is required"),
  citizenIdDigits: () => say("The citizen ID must be 13 digits"),
  citizenIdCheck: () => say("The citizen ID is not valid (its check digit does not match)"),
  wholeNumber: () => say("Type a whole number, e.g. 36000"),
  negative: () => say("Must not be negative"),
  atLeast: (minimum) => say("Must be at least {minimum}", { minimum }),
  atMost: (maximum) => say("Must be at most {maximum:,}", { maximum }),
  text: () => say("Must be text"),
  badCharacter: () => say("Contains a character that is not allowed"),
  tooLong: (n) => say("Longer than {max_length} characters", { max_length: n }),
  bool: () => say("Must be true or false"),
  choice: (choices) => say("Not one of: {choices}", { choices: choices.join(", ") }),
  date: () => say("Not a valid date (YYYY-MM-DD)"),
  year: () => say("The year must be between {min_year} and {max_year}", { min_year: MIN_YEAR, max_year: MAX_YEAR }),
  phone: () => say("Not a valid phone number"),
  reference: () => say("Not a valid record id"),
  notYet: () => say("This day has not come yet: use today or an earlier day"),
  incomeMissing: () => say("Type the household's income, or tick \"Income not known\""),
  incomeBoth: () => say("An income is typed and \"Income not known\" is ticked: keep one of them"),
  surveyTooEarly: (iso, year) => say(
    "The survey date must not be before {day} (the start of fiscal year {year}): check the day and the year",
    { day: { iso }, year }),
  dayNotHeld: (iso) => say(
    "This training day is dated {day}, after today: ask the office to move the day's date, then send again",
    { day: { iso } }),
};

// {name} or {name:,} (thousands separated), as Python's str.format fills the server's messages; a
// day ({iso}) reads as every date does in that language.
function fill(text, values, locale) {
  return text.replace(/\{(\w+)(:,)?\}/g, (whole, name, separated) => {
    if (!(name in values)) return whole;
    const value = values[name];
    if (value && value.iso) return formatDate(value.iso, locale);
    return separated ? grouped(value) : String(value);
  });
}

// --- reading form values ---------------------------------------------------------------------

function read(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value;
  const text = String(value).replace(OUTER_SPACE, "");
  return text === "" ? null : text;
}

function readInt(value) {
  const v = read(value);
  return typeof v === "string" && /^-?[0-9]+$/.test(v) ? Number(v) : v;
}

// --- citizen ID (rules.normalize_citizen_id, is_valid_citizen_id, check_citizen_id) ------------

function checkDigit(first12) {
  let total = 0;
  for (let i = 0; i < 12; i += 1) total += Number(first12[i]) * (13 - i);
  return (11 - (total % 11)) % 10;
}

/** The ID as typed (1-2345-67890-12-3, spaces, Thai digits) as 13 plain digits; null when blank. */
export function normalizeCitizenId(text) {
  if (text === undefined || text === null) return null;
  const cleaned = String(text).replace(SPACE_OR_DASH, "")
    .replace(THAI_DIGIT, (d) => String(d.charCodeAt(0) - 0x0e50));
  return cleaned === "" ? null : cleaned;
}

/** Exactly 13 ASCII digits whose last one is the mod-11 check digit (normalize typed text first). */
export function isValidCitizenId(text) {
  return typeof text === "string" && /^[0-9]{13}$/.test(text) && checkDigit(text) === Number(text[12]);
}

function citizenIdProblem(value) {
  if (value === null || value === "") return null;
  if (typeof value !== "string" || !/^[0-9]{13}$/.test(value)) return MESSAGES.citizenIdDigits();
  return isValidCitizenId(value) ? null : MESSAGES.citizenIdCheck();
}

// --- field kinds (rules.check_int, check_text, check_bool, check_choice, check_date, ...) ------

function intProblem(value, { minimum = 0, maximum = MAX_INCOME, optional = true } = {}) {
  if (value === null) return optional ? null : MESSAGES.required();
  if (typeof value !== "number" || !Number.isInteger(value)) return MESSAGES.wholeNumber();
  if (value < minimum) return minimum === 0 ? MESSAGES.negative() : MESSAGES.atLeast(minimum);
  if (value > maximum) return MESSAGES.atMost(maximum);
  return null;
}

function textProblem(value, { maxLength = 200, optional = true } = {}) {
  if (value === null) return optional ? null : MESSAGES.required();
  if (typeof value !== "string") return MESSAGES.text();
  if (value.includes("\u0000")) return MESSAGES.badCharacter();
  if ([...value].length > maxLength) return MESSAGES.tooLong(maxLength); // code points, as Python's len()
  return null;
}

function boolProblem(value) {
  if (value === null) return null;
  return typeof value === "boolean" ? null : MESSAGES.bool();
}

function choiceProblem(value, choices) {
  if (value === null) return MESSAGES.required();
  return choices.includes(value) ? null : MESSAGES.choice(choices);
}

function dateProblem(value) {
  if (value === null) return null;
  const match = typeof value === "string" ? /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value) : null;
  if (!match) return MESSAGES.date();
  const [year, month, day] = match.slice(1).map(Number);
  const lastDay = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // 2000 is a leap year
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > lastDay
      || (month === 2 && day === 29 && !leap)) return MESSAGES.date();
  if (year < MIN_YEAR || year > MAX_YEAR) return MESSAGES.year();
  return null;
}

// rules.check_not_future, on a date dateProblem accepts: ISO text compares as the days do.
function futureProblem(value) {
  return value !== null && value > todayIso() ? MESSAGES.notYet() : null;
}

// rules.fiscal_year_be: 1 Oct – 30 Sep, named by its Buddhist-Era year.
function fiscalYearBe(iso) {
  const [y, m] = iso.split("-").map(Number);
  return y + 543 + (m >= 10 ? 1 : 0);
}

// rules.survey_earliest: the start of the fiscal year before the first training (or before this one).
function surveyEarliest(firstTrainingYear) {
  const year = (firstTrainingYear ?? fiscalYearBe(todayIso())) - 1;
  return [`${String(year - 544).padStart(4, "0")}-10-01`, year];
}

// rules.check_survey_date, on a date dateProblem accepts.
function surveyDateProblem(value, household) {
  if (value === null) return null;
  const future = futureProblem(value);
  if (future || !household) return future;
  const [earliest, year] = surveyEarliest(household.first_training_year);
  return value < earliest ? MESSAGES.surveyTooEarly(earliest, year) : null;
}

// rules.check_income_answer: an income, or "not known" ticked — never both, never neither.
function incomeAnswerProblems(kind, income, unknown) {
  if (!INCOME_KINDS.includes(kind)) return [];
  if (income === null && unknown !== true) return [["annual_income", MESSAGES.incomeMissing()]];
  if (income !== null && unknown === true) return [["income_unknown", MESSAGES.incomeBoth()]];
  return [];
}

// rules.check_day_held: attendance is taken on a day that has come (a day with no date passes).
function dayHeldProblem(sessionDate) {
  const date = read(sessionDate);
  return date !== null && date > todayIso() ? MESSAGES.dayNotHeld(date) : null;
}

function phoneProblem(value) {
  if (value === null || value === "") return null;
  return typeof value === "string" && /^[0-9+\- ]{9,15}$/.test(value) ? null : MESSAGES.phone();
}

function referenceProblem(value) {
  if (value === null || value === "") return MESSAGES.required();
  return typeof value === "string" && /^[0-9a-fA-F-]{36}$/.test(value) ? null : MESSAGES.reference();
}

// --- the forms ---------------------------------------------------------------------------------

function answer(problems, locale) {
  const english = locale === "en";
  const errors = {};
  for (const [field, problem] of problems) {
    if (problem && !(field in errors)) errors[field] = english ? problem[1] : problem[0];
  }
  return errors;
}

/**
 * rules.check_household as a push runs it (income_known=False, with the village reference):
 * {field: message}, empty when fine.
 * `village_id` is checked when the values carry it (the page knows it from its URL).
 */
export function checkHousehold(values, locale = "th") {
  const v = values || {};
  const citizenId = read(v.citizen_id);
  const problems = [
    ["house_no", textProblem(read(v.house_no), { maxLength: 20, optional: false })],
    ["head_name", textProblem(read(v.head_name), { maxLength: 120, optional: false })],
    ["citizen_id", citizenIdProblem(typeof citizenId === "string" ? normalizeCitizenId(citizenId) : citizenId)],
    ["members", intProblem(readInt(v.members), { minimum: 1, maximum: MAX_MEMBERS, optional: false })],
    ["phone", phoneProblem(read(v.phone))],
    ["consent", boolProblem(read(v.consent))],
  ];
  // A household may be registered before its survey: an income left out is unknown, an empty one is not.
  if ("annual_income" in v) problems.push(["annual_income", intProblem(readInt(v.annual_income), { optional: false })]);
  if ("village_id" in v) problems.unshift(["village_id", referenceProblem(read(v.village_id))]);
  if ("welfare_card" in v) problems.push(["welfare_card", boolProblem(read(v.welfare_card))]);
  if ("interest" in v) problems.push(["interest", textProblem(read(v.interest), { maxLength: 32 })]);
  if ("note" in v) problems.push(["note", textProblem(read(v.note), { maxLength: 1000 })]);
  return answer(problems, locale);
}

/**
 * rules.check_survey and the survey's check_survey_record: {field: message}, empty when fine.
 * `household` is what the phone knows of the household ({first_training_year}: the fiscal year of
 * its first training, null when none); the date's lower bound is checked when it is given.
 * `household_id` and `kind` are checked when the values carry them (the page knows them from its
 * URL; a survey page's kind is always one that measures income).
 */
export function checkSurvey(values, household = null, locale = "th") {
  const v = values || {};
  const surveyedOn = read(v.surveyed_on);
  const income = readInt(v.annual_income);
  const unknown = read(v.income_unknown);
  const problems = [];
  let householdKnown = household;
  if ("household_id" in v) {
    const problem = referenceProblem(read(v.household_id));
    problems.push(["household_id", problem]);
    if (problem) householdKnown = null;
  }
  if ("kind" in v) problems.push(["kind", choiceProblem(read(v.kind), SURVEY_KINDS)]);
  const dateWrong = surveyedOn === null ? MESSAGES.required() : dateProblem(surveyedOn);
  problems.push(["surveyed_on", dateWrong || surveyDateProblem(surveyedOn, householdKnown)]);
  const incomeWrong = intProblem(income);
  const unknownWrong = boolProblem(unknown);
  problems.push(["annual_income", incomeWrong], ["income_unknown", unknownWrong]);
  if (!incomeWrong && !unknownWrong) problems.push(...incomeAnswerProblems("kind" in v ? read(v.kind) : "baseline", income, unknown));
  for (const name of ["annual_expenses", "savings", "debt", "trade_income_month"]) {
    problems.push([name, intProblem(readInt(v[name]))]);
  }
  problems.push(
    ["practising_trade", boolProblem(read(v.practising_trade))],
    ["note", textProblem(read(v.note), { maxLength: 1000 })],
  );
  return answer(problems, locale);
}

/**
 * rules.check_attendance and the attendance's check_attendance_record: a mark on a training day,
 * {field: message}, empty when fine. `session` holds the day's fields as the phone keeps them
 * (`date`: ISO text, or none while the office has not dated the day); a day dated after today is
 * refused on `session_id`. `session_id` and `household_id` are checked when the values carry them.
 */
export function checkAttendance(values, session, locale = "th") {
  const v = values || {};
  const present = read(v.present);
  const problems = [];
  if ("session_id" in v) problems.push(["session_id", referenceProblem(read(v.session_id))]);
  if ("household_id" in v) problems.push(["household_id", referenceProblem(read(v.household_id))]);
  problems.push(
    ["session_id", dayHeldProblem(session ? session.date : null)],
    ["present", present === null ? MESSAGES.required() : boolProblem(present)],
    ["note", textProblem(read(v.note), { maxLength: 1000 })],
  );
  return answer(problems, locale);
}
