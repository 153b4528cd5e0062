// What the pages show: the records on the phone with the unsent ops laid over them.

import { enqueue, getAll, outboxAll, transact } from "./store.js";

const NATURAL_KEYS = { attendance: ["session_id", "household_id"], survey: ["household_id", "kind"],
                       enrollment: ["training_id", "household_id"] };

class View {
  constructor(records, ops) {
    this.ops = ops;
    this.entities = new Map();
    for (const r of records) {
      if (r.deleted) continue;
      this.put({ entity: r.entity, id: r.id, seq: r.seq, fields: { ...r.fields }, server: r.fields,
                 pending: false, rejected: false });
    }
    for (const op of ops) {
      const record = this.get(op.entity, op.id);
      if (op.status === "rejected") {
        if (record) record.rejected = true;
        continue;
      }
      if (op.action === "delete") {
        if (record) this.entities.get(op.entity).delete(op.id);
        continue;
      }
      const target = record || this.put({ entity: op.entity, id: op.id, seq: null, fields: {}, server: null,
                                          pending: false, rejected: false });
      Object.assign(target.fields, op.fields);
      target.pending = true;
    }
  }

  put(record) {
    if (!this.entities.has(record.entity)) this.entities.set(record.entity, new Map());
    this.entities.get(record.entity).set(record.id, record);
    return record;
  }

  get(entity, id) {
    const records = this.entities.get(entity);
    return records ? records.get(id) || null : null;
  }

  all(entity) {
    const records = this.entities.get(entity);
    return records ? [...records.values()] : [];
  }

  where(entity, test) {
    return this.all(entity).filter((r) => test(r.fields, r));
  }

  // The record with this natural key (e.g. a household's attendance on one day), if any.
  byKey(entity, values) {
    const names = NATURAL_KEYS[entity];
    return this.all(entity).find((r) => names.every((n) => r.fields[n] === values[n])) || null;
  }
}

export async function loadView() {
  const records = await transact(["records"], "readonly", ({ records: store }) => getAll(store));
  return new View(records, await outboxAll());
}

export async function loadEntities(entities) {
  const records = await transact(["records"], "readonly", async ({ records: store }) =>
    (await Promise.all(entities.map((e) => getAll(store.index("entity"), e)))).flat());
  return new View(records, await outboxAll());
}

// Save `values` for a record: an existing one is edited as itself (its id, base_seq = the seq
// the phone last saw, only the fields that differ); an unknown one gets a new id.
// Resolves with the queued op (null when nothing changed) once the outbox write is durable.
export async function save(view, entity, existing, values, newId) {
  if (existing) {
    const changed = {};
    for (const [name, value] of Object.entries(values)) {
      if (existing.fields[name] !== value) changed[name] = value;
    }
    if (!Object.keys(changed).length) return null;
    const op = await enqueue({ entity, id: existing.id, base_seq: existing.seq ?? null, fields: changed });
    Object.assign(existing.fields, changed);
    existing.pending = true;
    return op;
  }
  const op = await enqueue({ entity, id: newId, base_seq: null, fields: values });
  view.put({ entity, id: newId, seq: null, fields: { ...values }, server: null, pending: true, rejected: false });
  return op;
}
