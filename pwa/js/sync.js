// Sync with the server (SYNC.md): push the outbox in batches, then pull until nothing is left.
// Usable from the pages and from the service worker (Background Sync); one run at a time.

import {
  PERSONAL_ENTITIES, REFERENCE_ENTITIES, allMeta, currentUser, get, getAll, getMeta, leaveUser, outboxCounts,
  phoneAll, phoneSet, recordKey, setMeta, switchUser, transact,
} from "./store.js";

export const SCHEMA = 1;
const BATCH = 1000;
const PULL_LIMIT = 500;
const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("sammachip");
const listeners = new Set();

// Tell every page of this phone (and this one) that the status or the data changed.
export function announce(message) {
  if (channel) channel.postMessage(message);
  for (const listener of listeners) listener(message);
}

export function listen(listener) {
  listeners.add(listener);
  if (channel) channel.addEventListener("message", (event) => listener(event.data));
}

async function setState(state, message = null) {
  await setMeta({ sync_state: state, sync_message: message });
  announce({ type: "status" });
}

export async function status() {
  const [counts, meta, user] = await Promise.all([outboxCounts(), allMeta(), currentUser()]);
  if (!user) return { ...counts, state: "error", message: "signed_out", lastSync: "", signedIn: false, user: null };
  return { ...counts, state: meta.sync_state || "idle", message: meta.sync_message || null,
           lastSync: meta.last_sync || "", signedIn: Boolean(meta.token), user: meta.user || null };
}

class Offline extends Error {}
class Refused extends Error {
  constructor(status, body) { super(`HTTP ${status}`); this.status = status; this.body = body; }
}

function appVersion() {
  return self.__SAMMACHIP_VERSION__ || (typeof document !== "undefined"
    ? document.querySelector('meta[name="app-version"]')?.content || "" : "");
}

async function api(path, token, options = {}) {
  let response;
  // What waits in the outbox goes with every call, so /devices shows it beside the last sync.
  let waiting = "";
  try { waiting = String((await outboxCounts()).pending); } catch (_e) { /* not known: sent empty */ }
  try {
    response = await fetch(path, { ...options, cache: "no-store", credentials: "omit",
      headers: { ...(options.headers || {}), Authorization: `Bearer ${token}`, "X-App-Version": appVersion(),
                 "X-Pending-Ops": waiting } });
  } catch (_error) {
    throw new Offline();
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (_e) { /* not JSON */ }
    throw new Refused(response.status, body);
  }
  return response;
}

async function jsonBody(value) {
  const text = JSON.stringify(value);
  if (text.length < 8192 || typeof CompressionStream === "undefined") {
    return { body: text, headers: { "Content-Type": "application/json" } };
  }
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  const body = await new Response(stream).arrayBuffer();
  return { body, headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" } };
}

function pendingOps() {
  return transact(["outbox"], "readonly", async ({ outbox }) =>
    (await getAll(outbox.index("status"), "pending")).sort((a, b) => a.n - b.n));
}

const wire = (op) => ({ op_id: op.op_id, entity: op.entity, id: op.id, action: op.action,
                        base_seq: op.base_seq, captured_at: op.captured_at, fields: op.fields });

// A natural-key merge gave the record another id: use it everywhere on the phone.
async function adoptId(records, outbox, entity, oldId, newId) {
  const old = await get(records, recordKey(entity, oldId));
  if (old) {
    records.delete(old.key);
    const current = await get(records, recordKey(entity, newId));
    records.put({ ...(current || old), key: recordKey(entity, newId), id: newId,
                  fields: { ...(old.fields || {}), ...((current && current.fields) || {}) } });
  }
  for (const op of await getAll(outbox)) {
    let changed = false;
    const next = { ...op, fields: { ...op.fields } };
    if (op.entity === entity && op.id === oldId) { next.id = newId; changed = true; }
    for (const [name, value] of Object.entries(op.fields)) {
      if (name.endsWith("_id") && value === oldId) { next.fields[name] = newId; changed = true; }
    }
    if (changed) outbox.put(next);
  }
}

// What the server did with an op. An op sent again (its first answer was lost on the way) is
// answered `duplicate` with its first result: that result is what counts.
function outcomeOf(result) {
  return result.status === "duplicate" ? (result.first_status || "applied") : result.status;
}

// The server answered a batch: applied, duplicate and conflict leave the outbox; rejected stay.
function applyResults(ops, results) {
  const byOp = new Map(results.map((r) => [r.op_id, r]));
  return transact(["records", "outbox", "meta"], "readwrite", async ({ records, outbox, meta }) => {
    const conflictsRow = await get(meta, "conflicts");
    const conflicts = conflictsRow ? conflictsRow.value : [];
    for (const op of ops) {
      const result = byOp.get(op.op_id);
      if (!result) continue;
      const stored = await get(outbox, op.op_id);
      const outcome = outcomeOf(result);
      if (outcome === "rejected") {
        if (stored) outbox.put({ ...stored, status: "rejected", errors: result.errors || [] });
        continue;
      }
      if (stored) outbox.delete(op.op_id);
      const id = result.id || op.id;
      if (id !== op.id) await adoptId(records, outbox, op.entity, op.id, id);
      const key = recordKey(op.entity, id);
      const record = (await get(records, key)) || { key, entity: op.entity, id, seq: 0, deleted: false, fields: {} };
      const fields = { ...record.fields, ...op.fields };
      for (const c of result.conflicts || []) fields[c.field] = c.kept;
      if (op.action === "delete") { records.delete(key); continue; }
      records.put({ ...record, fields, seq: Math.max(record.seq || 0, result.seq || 0) });
      if (outcome === "conflict" && result.conflicts && result.conflicts.length &&
          !conflicts.some((c) => c.op_id === op.op_id)) {
        conflicts.unshift({ op_id: op.op_id, entity: op.entity, id, conflicts: result.conflicts,
                            at: new Date().toISOString() });
      }
    }
    meta.put({ key: "conflicts", value: conflicts.slice(0, 200) });
  });
}

async function push(token) {
  for (let round = 0; round < 1000; round += 1) {
    const ops = (await pendingOps()).slice(0, BATCH);
    if (!ops.length) return;
    const { body, headers } = await jsonBody({ schema: SCHEMA, ops: ops.map(wire) });
    const response = await api("/api/sync/push", token, { method: "POST", body, headers });
    const data = await response.json();
    await applyResults(ops, data.results || []);
    announce({ type: "data" });
    if (ops.length < BATCH) return;
  }
}

function villageOf(entity, fields, maps) {
  switch (entity) {
    case "household": case "sage": case "review_task": return fields.village_id || null;
    case "enrollment": return maps.training.get(fields.training_id) || maps.household.get(fields.household_id) || null;
    case "attendance": return maps.session.get(fields.session_id) || maps.household.get(fields.household_id) || null;
    case "survey": return maps.household.get(fields.household_id) || null;
    default: return null;
  }
}

async function villageMaps(records) {
  const maps = { training: new Map(), session: new Map(), household: new Map() };
  for (const entity of ["training", "session", "household"]) {
    for (const r of await getAll(records.index("entity"), entity)) maps[entity].set(r.id, r.fields.village_id);
  }
  return maps;
}

// Store one page of pulled changes: reference data for the whole area, personal records only for
// prepared villages. A deletion or a record that left the area (`out_of_area`) removes the copy.
function applyChanges(changes, cursor) {
  return transact(["records", "meta"], "readwrite", async ({ records, meta }) => {
    const preparedRow = await get(meta, "prepared");
    const prepared = new Set(preparedRow ? preparedRow.value : []);
    const maps = await villageMaps(records);
    for (const change of changes) {
      const key = recordKey(change.entity, change.id);
      if (change.deleted) {
        records.delete(key);
        if (maps[change.entity]) maps[change.entity].delete(change.id);
        continue;
      }
      const fields = change.fields || {};
      if (maps[change.entity]) maps[change.entity].set(change.id, fields.village_id);
      if (PERSONAL_ENTITIES.has(change.entity)) {
        const village = villageOf(change.entity, fields, maps);
        if (village && !prepared.has(village)) { records.delete(key); continue; }
      } else if (!REFERENCE_ENTITIES.has(change.entity)) {
        continue;
      }
      records.put({ key, entity: change.entity, id: change.id, seq: change.seq, deleted: false, fields });
    }
    meta.put({ key: "cursor", value: cursor });
  });
}

// After a full pull: personal records whose household or village is not kept on the phone go.
export function dropUnprepared() {
  return transact(["records", "meta"], "readwrite", async ({ records, meta }) => {
    const preparedRow = await get(meta, "prepared");
    const prepared = new Set(preparedRow ? preparedRow.value : []);
    const maps = await villageMaps(records);
    const all = await getAll(records);
    const kept = new Set();
    for (const r of all) {
      if (!PERSONAL_ENTITIES.has(r.entity) || r.entity === "review_task") continue;
      const village = villageOf(r.entity, r.fields, maps);
      if (village && prepared.has(village) && (r.entity !== "survey" || maps.household.has(r.fields.household_id))) {
        kept.add(r.key);
      } else {
        records.delete(r.key);
      }
    }
    for (const r of all) {
      if (r.entity === "review_task" && !kept.has(recordKey(r.fields.record_entity, r.fields.record_id))) {
        records.delete(r.key);
      }
    }
    const ready = await get(meta, "prepared");
    meta.put({ key: "ready", value: ready ? ready.value : [] });
  });
}

// The server was restored from a backup and the phone's cursor is ahead of it (409 resync): the
// pulled copies and the cursor go, the outbox stays, and the area is pulled again from the start.
function forgetPulled() {
  return transact(["records", "meta"], "readwrite", ({ records, meta }) => {
    records.clear();
    meta.delete("cursor");
    meta.delete("conflicts");
  });
}

async function pull(token, onProgress) {
  let cursor = await getMeta("cursor");
  let received = 0;
  let resynced = false;
  for (let page = 0; page < 100000; page += 1) {
    const query = `limit=${PULL_LIMIT}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    let response;
    try {
      response = await api(`/api/sync/pull?${query}`, token);
    } catch (error) {
      if (error instanceof Refused && error.status === 400 && cursor) { cursor = null; continue; }
      if (error instanceof Refused && error.status === 409 && error.body && error.body.error === "resync" && !resynced) {
        resynced = true;
        await forgetPulled();
        announce({ type: "data" });
        cursor = null;
        continue;
      }
      throw error;
    }
    const data = await response.json();
    await applyChanges(data.changes, data.cursor);
    received += data.changes.length;
    cursor = data.cursor;
    if (onProgress) onProgress({ received, more: data.has_more });
    if (!data.has_more) break;
  }
  await dropUnprepared();
  announce({ type: "data" });
}

async function run(onProgress) {
  const meta = await allMeta();
  if (!meta.token) {
    await setState("error", meta.signin_required ? "revoked" : "sign_in");
    return { ok: false, reason: "sign_in" };
  }
  await setState("syncing");
  try {
    for (let round = 0; round < 3; round += 1) {
      await push(meta.token);
      await pull(meta.token, onProgress);
      if (!(await outboxCounts()).pending) break;
    }
    await setMeta({ last_sync: new Date().toISOString() });
    const { pending } = await outboxCounts();
    await setState(pending ? "syncing" : "idle");
    return { ok: true };
  } catch (error) {
    if (error instanceof Offline) {
      await setState("offline");
      return { ok: false, reason: "offline" };
    }
    if (error instanceof Refused && error.status === 401) {
      // Revoked on /devices (or the user was deactivated): stop, keep every op, ask for a sign-in.
      await setMeta({ token: null, signin_required: true });
      await setState("error", "revoked");
      return { ok: false, reason: "revoked" };
    }
    const code = error instanceof Refused && error.status === 409 ? "update_needed" : "server_error";
    await setState("error", code);
    return { ok: false, reason: code, error };
  }
}

// One sync at a time across the pages and the worker of this phone.
export function sync({ onProgress } = {}) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("sammachip-sync", () => run(onProgress));
  }
  return run(onProgress);
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

// Who is signed in in this browser, as the server knows it: {id, username, role}, null (nobody), or
// undefined (the server cannot be reached).
async function sessionUser() {
  try {
    const response = await fetch("/field/session-user", { cache: "no-store", credentials: "same-origin" });
    if (response.status === 401) return null;
    if (!response.ok) return undefined;
    return (await response.json()).user;
  } catch (_error) {
    return undefined;
  }
}

// A sign-out made with no signal reaches the server at the next chance, before anything else.
export async function finishSignOut() {
  const { logout } = await phoneAll().catch(() => ({}));
  if (!logout) return true;
  try {
    const response = await fetch("/logout", {
      method: "POST", credentials: "same-origin", cache: "no-store", redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "x-csrftoken": logout.csrf || "" },
      body: new URLSearchParams({ _csrf_token: logout.csrf || "", device_id: logout.device_id || "" }) });
    if (response.type !== "opaqueredirect" && !response.ok && response.status !== 403) return false;
    await phoneSet({ logout: null });
    return true;
  } catch (_error) {
    return false;
  }
}

const locked = (work) => (typeof navigator !== "undefined" && navigator.locks
  ? navigator.locks.request("sammachip-sync", work) : work());

let sessionChecked = false;

// The officer signed in in this browser: this phone works for them (their own database), and gets
// its device token for them once (no second password). After the office revoked it, only a fresh
// sign-in may get a new one. A token is never kept for, or sent by, another user.
export async function ensureDeviceToken() {
  let who;
  let user = await currentUser();
  if (!sessionChecked || !user) {
    await finishSignOut();
    who = await sessionUser();
    if (who !== undefined) sessionChecked = true;
    if (who && (!user || user.id !== who.id)) {
      await locked(() => switchUser(who, revokeToken));
      user = who;
      announce({ type: "user" });
    }
  }
  if (!user) return who === undefined ? "offline" : "sign_in";
  const meta = await allMeta();
  if (meta.token) return "ok";
  if (meta.signin_required) return "revoked";
  try {
    if (!csrfToken()) await fetch("/healthz", { cache: "no-store" });
    const response = await fetch("/field/device-token", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "x-csrftoken": csrfToken() || "", "X-App-Version": appVersion() },
      body: JSON.stringify({ device_name: `${navigator.platform || "phone"} · ${navigator.userAgent}`.slice(0, 200) }),
    });
    if (response.status !== 201) return "sign_in";
    const data = await response.json();
    const now = await currentUser();
    if (!now || now.id !== data.user.id) {
      // The browser's session is another user's than this phone's: that token is not kept here.
      await revokeToken(data.token);
      sessionChecked = false;
      return "sign_in";
    }
    await setMeta({ token: data.token, device_id: data.device_id, user: data.user, signin_required: false,
                    sync_message: null });
    announce({ type: "status" });
    return "ok";
  } catch (_error) {
    return "offline";
  }
}

// The officer names this phone (PUT /api/auth/device) so a supervisor can tell it from the others.
export async function renameDevice(name) {
  const token = await getMeta("token");
  if (!token) return { ok: false, reason: "sign_in" };
  try {
    const response = await api("/api/auth/device", token, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
    const data = await response.json();
    await setMeta({ device_name: data.name });
    return { ok: true, name: data.name };
  } catch (error) {
    return { ok: false, reason: error instanceof Offline ? "offline" : "refused" };
  }
}

// The server forgets a token (sign-out, or its user left this phone).
async function revokeToken(token) {
  try {
    const response = await fetch("/api/auth/token", { method: "DELETE", cache: "no-store", credentials: "omit",
                                                      headers: { Authorization: `Bearer ${token}` } });
    return response.ok || response.status === 401;
  } catch (_error) {
    return false;
  }
}

// Sign-out on this phone: the user's token leaves it; their database goes when nothing is unsent.
// What is unsent is counted once no sync is running (one on its way may send it); `confirmUnsent(n)`
// may still call the sign-out off. The browser session ends with the /logout that follows (sent
// later by the worker, if offline).
export async function signOutPhone(confirmUnsent = () => true) {
  const user = await currentUser();
  if (!user) return { unsent: 0, unrevoked: null };
  return locked(async () => {
    let counts = { pending: 0, rejected: 0 };
    try { counts = await outboxCounts(); } catch (_error) { /* no storage: nothing to keep */ }
    const unsent = counts.pending + counts.rejected;
    if (unsent && !confirmUnsent(unsent)) return { cancelled: true };
    sessionChecked = false;
    return leaveUser(user.id, revokeToken);
  });
}
