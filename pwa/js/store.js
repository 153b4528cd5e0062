// The phone's storage (IndexedDB): records pulled from the server, the outbox of ops, and meta.
//
// Shared phones (SYNC.md): each user who signs in on this phone has a database of their own
// (records, outbox, meta with their device token), so a user's ops can only ever be sent with
// their own token. A small phone-level database says who is signed in now, which database is
// whose, and the language. The first database ("sammachip") stays its user's, upgraded in place.
// Each database is versioned; upgrades transform what is stored and never drop it. "Saved" is
// answered only when a write transaction's `complete` fires: then it survives a closed browser.

export const DB_NAME = "sammachip";
export const DB_VERSION = 2;
const PHONE_DB = "sammachip-phone";
const NOBODY_DB = "sammachip-nobody";  // read by a page while nobody is signed in: always empty

// Records the phone keeps for the whole area; the others only for prepared villages.
export const REFERENCE_ENTITIES = new Set(["village", "training", "session", "team", "occupation"]);
export const PERSONAL_ENTITIES = new Set(["household", "sage", "enrollment", "attendance", "survey", "review_task"]);

let opening = null;
let phoneOpening = null;

// Storage the browser refuses (private mode, storage off, disk full): said to the officer.
export class StorageProblem extends Error {
  constructor(kind, cause) { super(kind); this.kind = kind; this.cause = cause; }
}
export class NotSignedIn extends Error {}
const problem = (error, fallback) => {
  if (error instanceof StorageProblem || error instanceof NotSignedIn) return error;
  if (error && typeof DOMException !== "undefined" && !(error instanceof DOMException)) return error;
  return new StorageProblem(error && error.name === "QuotaExceededError" ? "quota" : fallback, error);
};

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

function openNamed(name, version, upgrade) {
  return new Promise((resolve, reject) => {
    let req;
    try { req = indexedDB.open(name, version); } catch (error) { reject(problem(error, "unavailable")); return; }
    req.onupgradeneeded = (event) => upgrade(req.result, req.transaction, event.oldVersion);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(problem(req.error, "unavailable"));
    req.onblocked = () => {};
  });
}

const openUserDb = (name) => openNamed(name, DB_VERSION, migrate);

function openPhone() {
  if (!phoneOpening) {
    phoneOpening = openNamed(PHONE_DB, 1, (db) => db.createObjectStore("phone", { keyPath: "key" })).then((db) => {
      db.onversionchange = () => { db.close(); phoneOpening = null; };
      return db;
    });
    phoneOpening.catch(() => { phoneOpening = null; });
  }
  return phoneOpening;
}

function onePhoneTx(mode, work) {
  return openPhone().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(["phone"], mode);
    const result = work(tx.objectStore("phone"));
    tx.oncomplete = () => resolve(result.value);
    tx.onerror = () => reject(problem(tx.error, "write"));
    tx.onabort = () => reject(problem(tx.error, "write"));
  }));
}

export async function phoneAll() {
  const holder = {};
  await onePhoneTx("readonly", (store) => {
    const req = store.getAll();
    req.onsuccess = () => { holder.value = Object.fromEntries(req.result.map((row) => [row.key, row.value])); };
    return holder;
  });
  return holder.value || {};
}

export function phoneSet(values) {
  return onePhoneTx("readwrite", (store) => {
    for (const [key, value] of Object.entries(values)) store.put({ key, value });
    return {};
  });
}

// The first database, from before phones were shared: its user (from its meta) keeps it; an
// outbox with no user at all goes to the next user who signs in.
async function adoptFirstDatabase(phone) {
  if (phone.adopted) return phone;
  const dbs = { ...(phone.dbs || {}) };
  let current = phone.current || null;
  const names = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [DB_NAME];
  if (names.includes(DB_NAME) && !Object.values(dbs).includes(DB_NAME)) {
    const db = await openUserDb(DB_NAME);
    const meta = await new Promise((resolve) => {
      const req = db.transaction(["meta"]).objectStore("meta").getAll();
      req.onsuccess = () => resolve(Object.fromEntries(req.result.map((r) => [r.key, r.value])));
      req.onerror = () => resolve({});
    });
    db.close();
    const owner = meta.user && meta.user.id ? meta.user.id : "";
    dbs[owner] = DB_NAME;
    if (owner && meta.token && !current) current = meta.user;
  }
  await phoneSet({ dbs, current, adopted: true });
  return { ...phone, dbs, current, adopted: true };
}

// Who works on this phone now ({id, username, role}), or null.
export async function currentUser() {
  return (await adoptFirstDatabase(await phoneAll())).current || null;
}

export function openDb() {
  if (opening) return opening;
  opening = (async () => {
    const phone = await adoptFirstDatabase(await phoneAll());
    const name = phone.current ? phone.dbs[phone.current.id] : null;
    const db = await openUserDb(name || NOBODY_DB);
    db.owner = name ? phone.current.id : null;
    // Another tab or a new version of the app wants to upgrade: let it, reopen on next use.
    db.onversionchange = () => { db.close(); opening = null; };
    db.onclose = () => { opening = null; };
    return db;
  })();
  opening.catch(() => { opening = null; });
  return opening;
}

// Another user became current (here or in another page of this phone): reopen on next use.
export function forgetDb() {
  const was = opening;
  opening = null;
  if (was) was.then((db) => db.close(), () => {});
}
const userChannel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("sammachip-user");
if (userChannel) userChannel.onmessage = () => forgetDb();

async function countUnsent(db) {
  return new Promise((resolve) => {
    const index = db.transaction(["outbox"]).objectStore("outbox").index("status");
    let n = 0;
    const done = () => { n += 1; if (n === 2) resolve(pending.result + rejected.result); };
    const pending = index.count("pending");
    const rejected = index.count("rejected");
    pending.onsuccess = done; rejected.onsuccess = done;
    pending.onerror = rejected.onerror = () => resolve(1);  // unknown: keep it
  });
}

function deleteNamed(name) {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = req.onerror = () => resolve();
  });
}

// A user leaves the phone (sign-out, or another user signs in): their token leaves with them
// (given to `revoke` to end it on the server); their database goes when nothing in it is unsent,
// else only their unsent captures (and which villages they prepared) wait for them.
// Resolves with the number of their captures left waiting on the phone, and the id of a device
// whose revocation did not reach the server (no signal), for the sign-out to name it.
export async function leaveUser(userId, revoke = async () => true) {
  const phone = await phoneAll();
  const dbs = { ...(phone.dbs || {}) };
  const name = dbs[userId];
  let unsent = 0;
  let unrevoked = null;
  if (name) {
    const db = await openUserDb(name);
    const meta = db.transaction(["meta"]).objectStore("meta");
    const [tokenRow, deviceRow] = await Promise.all([request(meta.get("token")), request(meta.get("device_id"))]);
    if (tokenRow && tokenRow.value && !(await revoke(tokenRow.value).catch(() => false))) {
      unrevoked = deviceRow ? deviceRow.value : null;
    }
    unsent = await countUnsent(db);
    if (unsent) {
      // Only the unsent captures wait: the pulled copies go (pulled again at the next sign-in).
      await new Promise((resolve, reject) => {
        const tx = db.transaction(["meta", "records"], "readwrite");
        tx.objectStore("records").clear();
        for (const key of ["token", "device_id", "sync_state", "sync_message", "cursor", "ready"]) {
          tx.objectStore("meta").delete(key);
        }
        tx.oncomplete = resolve;
        tx.onerror = () => reject(problem(tx.error, "write"));
      });
    }
    db.close();
    if (!unsent) {
      await deleteNamed(name);
      delete dbs[userId];
    }
  }
  const current = phone.current && phone.current.id === userId ? null : phone.current || null;
  await phoneSet({ dbs, current });
  if (!current) forgetDb();
  if (userChannel) userChannel.postMessage({ type: "user" });
  if (!Object.keys(dbs).length) markInUse(false);
  return { unsent, unrevoked };
}

// `user` signed in on this phone: the one before leaves, anyone else with nothing unsent is cleared,
// and `user` works on their own database from now on.
export async function switchUser(user, revoke) {
  const phone = await adoptFirstDatabase(await phoneAll());
  if (phone.current && phone.current.id === user.id) return false;
  for (const other of Object.keys(phone.dbs || {})) {
    if (other && other !== user.id) await leaveUser(other, revoke);
  }
  const dbs = { ...((await phoneAll()).dbs || {}) };
  if (!dbs[user.id]) {
    if (dbs[""]) { dbs[user.id] = dbs[""]; delete dbs[""]; } else dbs[user.id] = `${DB_NAME}-${user.id}`;
  }
  await phoneSet({ dbs, current: { id: user.id, username: user.username, role: user.role } });
  forgetDb();
  if (userChannel) userChannel.postMessage({ type: "user" });
  markInUse();
  return true;
}

// Run `work(stores)` in one transaction; resolves with its result once the transaction completes.
export async function transact(names, mode, work) {
  const db = await openDb();
  if (mode === "readwrite" && names.includes("outbox") && !db.owner) throw new NotSignedIn();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    Promise.resolve(work(stores, tx)).then((value) => { result = value; }, (error) => {
      try { tx.abort(); } catch (_e) { /* already finished */ }
      reject(problem(error, "write"));
    });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(problem(tx.error, "write"));
    tx.onabort = () => reject(problem(tx.error, "write"));
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
