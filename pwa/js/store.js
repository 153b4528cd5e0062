// The phone's storage (IndexedDB): records pulled from the server, the outbox of ops, and meta.
//
// One database, versioned. Upgrades transform what is stored and never drop it. "Saved" is
// answered only when a write transaction's `complete` fires: then it survives a closed browser.

export const DB_NAME = "sammachip";
export const DB_VERSION = 2;

// Records the phone keeps for the whole area; the others only for prepared villages.
export const REFERENCE_ENTITIES = new Set(["village", "training", "session", "team", "occupation"]);
export const PERSONAL_ENTITIES = new Set(["household", "sage", "enrollment", "attendance", "survey", "review_task"]);

let opening = null;

// A synchronous hint for the sign-out button: this browser holds a device token or captures
// (IndexedDB can only answer asynchronously, after a plain sign-out would have left).
const IN_USE = "sammachip.phone-in-use";
export function markInUse(inUse = true) {
  if (typeof localStorage === "undefined") return;
  if (inUse) localStorage.setItem(IN_USE, "1");
  else localStorage.removeItem(IN_USE);
}
export const inUse = () => typeof localStorage !== "undefined" && localStorage.getItem(IN_USE) === "1";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function migrate(db, tx, oldVersion) {
  if (oldVersion < 1) {
    // Version 1: an outbox entry kept its op nested ({op_id, op, state, errors, created}).
    const records = db.createObjectStore("records", { keyPath: "key" });
    records.createIndex("entity", "entity");
    db.createObjectStore("outbox", { keyPath: "op_id" });
    db.createObjectStore("meta", { keyPath: "key" });
  }
  if (oldVersion < 2) {
    // Version 2: flat ops as SYNC.md sends them, a status (pending/rejected) and an order `n`,
    // so the outbox is pushed in the order it was captured and counted by status.
    const outbox = tx.objectStore("outbox");
    outbox.createIndex("status", "status");
    outbox.createIndex("record", ["entity", "id"]);
    let n = 0;
    const cursorReq = outbox.openCursor();
    cursorReq.onsuccess = () => {
      const cursor = cursorReq.result;
      if (!cursor) {
        tx.objectStore("meta").put({ key: "next_n", value: n + 1 });
        return;
      }
      const old = cursor.value;
      if (old.op) {
        n += 1;
        const created = old.created || old.op.captured_at || new Date().toISOString();
        cursor.update({
          op_id: old.op_id, entity: old.op.entity, id: old.op.id, action: old.op.action || "upsert",
          base_seq: old.op.base_seq ?? null, captured_at: old.op.captured_at || created,
          fields: old.op.fields || {}, status: old.state === "refused" ? "rejected" : "pending",
          errors: old.errors || [], created, n,
        });
      }
      cursor.continue();
    };
  }
}

export function openDb() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = (event) => migrate(req.result, req.transaction, event.oldVersion);
    req.onsuccess = () => {
      const db = req.result;
      // Another tab or a new version of the app wants to upgrade: let it, reopen on next use.
      db.onversionchange = () => { db.close(); opening = null; };
      db.onclose = () => { opening = null; };
      resolve(db);
    };
    req.onerror = () => { opening = null; reject(req.error); };
    req.onblocked = () => {};
  });
  return opening;
}

// Run `work(stores)` in one transaction; resolves with its result once the transaction completes.
export async function transact(names, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    Promise.resolve(work(stores, tx)).then((value) => { result = value; }, (error) => {
      try { tx.abort(); } catch (_e) { /* already finished */ }
      reject(error);
    });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export const get = (store, key) => request(store.get(key));
export const getAll = (store, query) => request(store.getAll(query));

export async function getMeta(key, fallback = null) {
  const row = await transact(["meta"], "readonly", ({ meta }) => get(meta, key));
  return row === undefined ? fallback : row.value;
}

export function setMeta(values) {
  return transact(["meta"], "readwrite", ({ meta }) => {
    for (const [key, value] of Object.entries(values)) meta.put({ key, value });
  });
}

export async function allMeta() {
  const rows = await transact(["meta"], "readonly", ({ meta }) => getAll(meta));
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

export const recordKey = (entity, id) => `${entity}:${id}`;

export function recordsOf(entities) {
  return transact(["records"], "readonly", async ({ records }) => {
    const lists = await Promise.all(entities.map((e) => getAll(records.index("entity"), e)));
    return lists.flat();
  });
}

export async function outboxAll() {
  const ops = await transact(["outbox"], "readonly", ({ outbox }) => getAll(outbox));
  return ops.sort((a, b) => a.n - b.n);
}

export async function outboxCounts() {
  return transact(["outbox"], "readonly", async ({ outbox }) => {
    const index = outbox.index("status");
    const [pending, rejected] = await Promise.all([request(index.count("pending")), request(index.count("rejected"))]);
    return { pending, rejected };
  });
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The device clock with its offset, as SYNC.md's captured_at.
export function capturedAt(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (v) => String(Math.floor(Math.abs(v))).padStart(2, "0");
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

// Queue one upsert. An unsent op on the same record takes the new fields instead (same order, same
// base_seq, a fresh op_id: if the old one is on its way to the server, both answers are harmless).
export function enqueue({ entity, id, base_seq, fields }) {
  markInUse();
  return transact(["outbox", "meta"], "readwrite", async ({ outbox, meta }) => {
    const same = await getAll(outbox.index("record"), [entity, id]);
    const open = same.find((op) => op.status === "pending" && op.action === "upsert");
    const now = capturedAt();
    if (open) {
      outbox.delete(open.op_id);
      const merged = { ...open, op_id: uuid(), fields: { ...open.fields, ...fields }, captured_at: now };
      outbox.put(merged);
      return merged;
    }
    const counter = await get(meta, "next_n");
    const n = counter ? counter.value : 1;
    meta.put({ key: "next_n", value: n + 1 });
    const op = { op_id: uuid(), entity, id, action: "upsert", base_seq: base_seq ?? null, captured_at: now,
                 fields, status: "pending", errors: [], created: new Date().toISOString(), n };
    outbox.put(op);
    return op;
  });
}

export function discardOp(opId) {
  return transact(["outbox"], "readwrite", ({ outbox }) => { outbox.delete(opId); });
}

// Send a rejected op again, with corrected fields if given. A new op_id: the server answers an
// op_id it has seen with its first answer.
export function resendOp(opId, fields = null) {
  return transact(["outbox"], "readwrite", async ({ outbox }) => {
    const op = await get(outbox, opId);
    if (!op) return null;
    outbox.delete(opId);
    const again = { ...op, op_id: uuid(), status: "pending", errors: [], captured_at: capturedAt(),
                    fields: fields ? { ...op.fields, ...fields } : op.fields };
    outbox.put(again);
    return again;
  });
}

// Everything personal goes; the outbox too only when `withOutbox` (sign-out with nothing unsent).
export function clearPersonalData({ withOutbox }) {
  if (withOutbox) markInUse(false);
  return transact(["records", "outbox", "meta"], "readwrite", async ({ records, outbox, meta }) => {
    records.clear();
    if (withOutbox) outbox.clear();
    for (const key of ["token", "device_id", "user", "cursor", "prepared", "ready", "last_sync",
                       "conflicts", "sync_state", "sync_message"]) meta.delete(key);
  });
}
