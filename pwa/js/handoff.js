// Hand-off of unsent captures: the signed-in officer's pending and rejected ops saved to one file
// (their user and this phone named in it, nothing of another user), and such a file loaded into the
// officer's outbox on another phone, each op_id once. The office takes the same file on /devices.

import { capturedAt, currentUser, get, getAll, getMeta, markInUse, outboxAll, transact } from "./store.js";

export const FORMAT = "sammachip-handoff";
export const VERSION = 1;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;  // the server's limit for a push and for a hand-off
const MAX_REMEMBERED = 20000;
const OP_KEYS = ["op_id", "entity", "id", "action", "base_seq", "captured_at", "fields"];

export class HandoffProblem extends Error {
  constructor(kind) { super(kind); this.kind = kind; }
}

// The file's content: the current user's unsent ops (this phone's database is theirs alone).
export async function handoffContent() {
  const user = await currentUser();
  if (!user) throw new HandoffProblem("signed_out");
  const ops = (await outboxAll()).filter((op) => op.status === "pending" || op.status === "rejected");
  return {
    format: FORMAT, version: VERSION, saved_at: capturedAt(),
    user: { id: user.id, username: user.username },
    device_id: await getMeta("device_id"),
    ops: ops.map((op) => ({ ...Object.fromEntries(OP_KEYS.map((k) => [k, op[k] ?? null])),
                            status: op.status, errors: op.errors || [], created: op.created })),
  };
}

// Save the file (a download through a Blob link); resolves with how many ops it holds.
export async function saveHandoff() {
  const content = await handoffContent();
  const blob = new Blob([JSON.stringify(content)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `sammachip-${content.user.username}-${content.saved_at.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return content.ops.length;
}

const isText = (v, max = 64) => typeof v === "string" && v.length > 0 && v.length <= max;

function checkedOp(op) {
  if (!op || typeof op !== "object" || !isText(op.op_id) || !isText(op.entity) || !isText(op.id)
      || !["upsert", "delete"].includes(op.action) || !op.fields || typeof op.fields !== "object"
      || Array.isArray(op.fields)) {
    throw new HandoffProblem("not_a_file");
  }
  return op;
}

// Read a chosen file and add its ops to the current user's outbox; resolves with {added, skipped}.
export async function loadHandoff(file) {
  if (file.size > MAX_FILE_BYTES) throw new HandoffProblem("too_large");
  let content;
  try { content = JSON.parse(await file.text()); } catch (_e) { throw new HandoffProblem("not_a_file"); }
  if (!content || content.format !== FORMAT || !content.user || !Array.isArray(content.ops)) {
    throw new HandoffProblem("not_a_file");
  }
  if (content.version !== VERSION) throw new HandoffProblem("other_version");
  const user = await currentUser();
  if (!user) throw new HandoffProblem("signed_out");
  if (content.user.id !== user.id) throw new HandoffProblem("other_user");
  const ops = content.ops.map(checkedOp);
  markInUse();
  return transact(["outbox", "meta"], "readwrite", async ({ outbox, meta }) => {
    const seenRow = await get(meta, "handoff_op_ids");
    const seen = new Set(seenRow ? seenRow.value : []);
    const here = new Set(await getAll(outbox).then((rows) => rows.map((r) => r.op_id)));
    const counter = await get(meta, "next_n");
    let n = counter ? counter.value : 1;
    let added = 0;
    for (const op of ops) {
      if (seen.has(op.op_id) || here.has(op.op_id)) continue;
      seen.add(op.op_id);
      here.add(op.op_id);
      const rejected = op.status === "rejected";
      outbox.put({ ...Object.fromEntries(OP_KEYS.map((k) => [k, op[k] ?? null])),
                   base_seq: Number.isInteger(op.base_seq) ? op.base_seq : null,
                   status: rejected ? "rejected" : "pending", errors: rejected && Array.isArray(op.errors) ? op.errors : [],
                   created: typeof op.created === "string" ? op.created : new Date().toISOString(), n });
      n += 1;
      added += 1;
    }
    meta.put({ key: "next_n", value: n });
    meta.put({ key: "handoff_op_ids", value: [...seen].slice(-MAX_REMEMBERED) });
    return { added, skipped: ops.length - added };
  });
}
