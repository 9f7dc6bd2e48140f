// The batching logic (provider/shell/batcher.ts, tableSnapshot.ts) with no pwsh: the session
// registry's runBatch is replaced by a fake session that takes one turn at a time, as PwshSession
// does, and answers each command at once, so what is asserted is which requests share a turn and
// who gets which answer.
// (test/shell/batch.test.ts runs the same logic against the lab in real pwsh.)
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Batcher, type BatchPlan } from "../../provider/shell/batcher";
import { perConnection } from "../../provider/shell/processGlobal";
import { TableSnapshot } from "../../provider/shell/tableSnapshot";
import type { Connection } from "../../provider/shell/connection";
import type { Envelope } from "../../provider/shell/envelope";
import { sessions } from "../../provider/shell/registry";
import type { CommandSpec } from "../../provider/shell/session";

const connection: Connection = {
  kind: "lab",
  statePath: "/nonexistent/state.json",
  modulePath: "/nonexistent/ExchangeLab.psd1",
};

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A session that runs one turn at a time. Each turn waits for `gather` (one event-loop turn),
 * calls build, then waits at `hold` (the test may keep a turn running) and answers each command:
 * its target upper-cased, or an error for a target starting with "bad".
 */
function fakeSession() {
  let queue: Promise<unknown> = Promise.resolve();
  const turns: string[][] = [];
  let release: () => void = () => undefined;
  let hold: Promise<void> | undefined;
  const runBatch = vi.spyOn(sessions(), "runBatch").mockImplementation((_connection, build, options = {}) => {
    const turn = queue.then(async () => {
      if (options.gather === true) await new Promise((resolve) => setImmediate(resolve));
      const specs = build();
      if (specs.length === 0) return [];
      turns.push(specs.map((s) => s.target ?? ""));
      if (hold !== undefined) await hold;
      return specs.map((s): Envelope => {
        const target = s.target ?? "";
        return target.startsWith("bad")
          ? {
              ok: false,
              data: [],
              errors: [
                {
                  type: "E",
                  category: "NotSpecified",
                  fqid: "E",
                  message: `${target} failed`,
                  target,
                  cmdlet: s.cmdlet,
                },
              ],
              warnings: [],
            }
          : { ok: true, data: [target.toUpperCase()], errors: [], warnings: [] };
      });
    });
    queue = turn.catch(() => undefined);
    return turn;
  });
  return {
    runBatch,
    turns,
    /** Keeps the turns that start from now on running until `open` is called. */
    holdTurns() {
      hold = new Promise<void>((resolve) => (release = resolve));
    },
    open() {
      hold = undefined;
      release();
    },
  };
}

/** One command per key; each answer becomes its key's outcome. */
function plan(keys: string[]): BatchPlan<string> {
  return {
    commands: keys.map((k): CommandSpec => ({ cmdlet: "Get-Thing", target: k, script: `Get-Thing ${k}` })),
    settle: (envelopes) =>
      envelopes.map((e) =>
        e.ok
          ? { ok: true as const, value: String(e.data[0]) }
          : { ok: false as const, error: new Error(e.errors[0]?.message) },
      ),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("Batcher", () => {
  it("answers requests made together with one turn, each request getting its own answer", async () => {
    const session = fakeSession();
    const batcher = new Batcher<string, string>(connection, plan);
    const answers = await Promise.all([batcher.load("a"), batcher.load("b"), batcher.load("c")]);
    expect(answers).toEqual(["A", "B", "C"]);
    expect(session.turns).toEqual([["a", "b", "c"]]);
    expect(session.runBatch).toHaveBeenCalledTimes(1);
    expect(session.runBatch).toHaveBeenCalledWith(connection, expect.any(Function), { gather: true, first: false });
    expect(batcher.counts).toEqual({ turns: 1, requests: 3 });
  });

  it("asks for its turns to go first when it is a batcher of reads", async () => {
    const session = fakeSession();
    await new Batcher<string, string>(connection, plan, undefined, true).load("a");
    expect(session.runBatch).toHaveBeenCalledWith(connection, expect.any(Function), { gather: true, first: true });
  });

  it("sends equal requests once under `id`, and answers each of them", async () => {
    const session = fakeSession();
    const batcher = new Batcher<string, string>(connection, plan, (k) => k.toLowerCase());
    const answers = await Promise.all(["db1", "DB2", "Db1", "db3", "DB1"].map((k) => batcher.load(k)));
    expect(session.turns).toEqual([["db1", "DB2", "db3"]]);
    expect(answers).toEqual(["DB1", "DB2", "DB1", "DB3", "DB1"]);
    expect(batcher.counts).toEqual({ turns: 1, requests: 5 });
  });

  it("sends every request without `id`, duplicates included", async () => {
    const session = fakeSession();
    const batcher = new Batcher<string, string>(connection, plan);
    expect(await Promise.all(["x", "x"].map((k) => batcher.load(k)))).toEqual(["X", "X"]);
    expect(session.turns).toEqual([["x", "x"]]);
  });

  it("closes a batch when its turn starts: requests made while it runs share the next turn", async () => {
    const session = fakeSession();
    const batcher = new Batcher<string, string>(connection, plan);
    session.holdTurns();
    const first = [batcher.load("a"), batcher.load("b")];
    await until(() => session.turns.length === 1);
    const second = [batcher.load("c"), batcher.load("d")];
    session.open();
    expect(await Promise.all([...first, ...second])).toEqual(["A", "B", "C", "D"]);
    expect(session.turns).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(session.runBatch).toHaveBeenCalledTimes(2);
    expect(batcher.counts).toEqual({ turns: 2, requests: 4 });
  });

  it("gives each request its own outcome: one failure fails only its own requests", async () => {
    fakeSession();
    const batcher = new Batcher<string, string>(connection, plan, (k) => k);
    const results = await Promise.allSettled(["a", "bad1", "b", "bad1"].map((k) => batcher.load(k)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "A",
      "bad1 failed",
      "B",
      "bad1 failed",
    ]);
  });

  it("waits for an asynchronous settle", async () => {
    fakeSession();
    const batcher = new Batcher<string, string>(connection, (keys) => ({
      ...plan(keys),
      settle: async (envelopes) => {
        await new Promise((resolve) => setImmediate(resolve));
        return envelopes.map((e) => ({ ok: true as const, value: `late ${String(e.data[0])}` }));
      },
    }));
    expect(await batcher.load("a")).toBe("late A");
  });

  it("fails a request its plan gave no outcome, saying so", async () => {
    fakeSession();
    const batcher = new Batcher<string, string>(connection, (keys) => ({
      ...plan(keys),
      settle: () => [{ ok: true, value: "only one" }],
    }));
    const results = await Promise.allSettled([batcher.load("a"), batcher.load("b")]);
    expect(results).toEqual([
      { status: "fulfilled", value: "only one" },
      {
        status: "rejected",
        reason: expect.objectContaining({
          name: "ExchangeCasError",
          code: "internal-error",
          message: "internal error: a batched request got no answer",
        }),
      },
    ]);
  });

  it("fails every request of a turn that failed with the turn's error, or with what the plan's `failed` makes of it per request", async () => {
    const session = fakeSession();
    const broken = new Error("the session died");
    session.runBatch.mockImplementation((_c, build) => {
      build();
      return Promise.reject(broken);
    });
    const plain = new Batcher<string, string>(connection, plan);
    const a = await Promise.allSettled([plain.load("a"), plain.load("b")]);
    expect(a).toEqual([
      { status: "rejected", reason: broken },
      { status: "rejected", reason: broken },
    ]);
    const own = new Batcher<string, string>(
      connection,
      (keys) => ({ ...plan(keys), failed: (error, index) => new Error(`${keys[index]}: ${(error as Error).message}`) }),
      (k) => k,
    );
    const b = await Promise.allSettled(["x", "y", "x"].map((k) => own.load(k)));
    expect(b.map((r) => r.status === "rejected" && (r.reason as Error).message)).toEqual([
      "x: the session died",
      "y: the session died",
      "x: the session died",
    ]);
  });

  it("fails the requests of a batch whose plan could not be built, with the plan's error", async () => {
    fakeSession();
    const broken = new Error("no command for these keys");
    const batcher = new Batcher<string, string>(connection, () => {
      throw broken;
    });
    expect(await Promise.allSettled([batcher.load("a"), batcher.load("b")])).toEqual([
      { status: "rejected", reason: broken },
      { status: "rejected", reason: broken },
    ]);
  });

  it("fails everything waiting when the session cannot be opened, and takes a fresh turn for the next request", async () => {
    const session = fakeSession();
    const cannotOpen = new Error("pwsh was not found");
    let reject: (e: Error) => void = () => undefined;
    session.runBatch.mockImplementationOnce(() => new Promise<Envelope[]>((_resolve, r) => (reject = r)));
    const batcher = new Batcher<string, string>(connection, plan);
    const waiting = [batcher.load("a"), batcher.load("b")];
    // Arrives while the session is still being opened: it waits for the same turn.
    await new Promise((resolve) => setImmediate(resolve));
    waiting.push(batcher.load("c"));
    reject(cannotOpen);
    expect(await Promise.allSettled(waiting)).toEqual(
      ["a", "b", "c"].map(() => ({ status: "rejected", reason: cannotOpen })),
    );
    expect(session.runBatch).toHaveBeenCalledTimes(1);
    expect(batcher.counts).toEqual({ turns: 0, requests: 0 });
    expect(await batcher.load("d")).toBe("D");
    expect(session.runBatch).toHaveBeenCalledTimes(2);
  });
});

type Row = { name: string; guid: string };
const DB1: Row = { name: "DB1", guid: "11111111-0000-0000-0000-000000000001" };
const DB2: Row = { name: "DB2", guid: "22222222-0000-0000-0000-000000000002" };

describe("TableSnapshot", () => {
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
  });

  function snapshot(over: { maxAgeMs?: number; idleMs?: number; aliases?: (row: Row) => string[] } = {}) {
    return new TableSnapshot<Row>({
      aliases: over.aliases ?? ((row) => [row.name.toLowerCase(), row.guid]),
      normalize: (identity) => identity.toLowerCase(),
      maxAgeMs: over.maxAgeMs ?? 5_000,
      idleMs: over.idleMs ?? 1_000,
    });
  }

  it("answers later reads from a filled table read, each object once, by any of its aliases", async () => {
    const snap = snapshot();
    expect(snap.wanted).toBe(true);
    const table = snap.begin();
    expect(snap.wanted).toBe(false);
    const early = snap.take("DB1");
    table.fill([DB1, DB2]);
    expect(await early).toEqual([DB1]);
    expect(await snap.take("db1")).toBeUndefined();
    expect(await snap.take(DB2.guid.toUpperCase())).toEqual([DB2]);
    expect(await snap.take("DB3")).toBeUndefined();
  });

  it("answers an object again only when the read says it may, and never after this process's write to it", async () => {
    const snap = snapshot();
    snap.enter(); // a read under way: the burst goes on
    snap.begin().fill([DB1, DB2]);
    expect(await snap.take("DB1")).toEqual([DB1]);
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("db1", { again: true })).toEqual([DB1]);
    // Not answered before: `again` answers it as a first read would, once without it afterwards.
    expect(await snap.take("DB2", { again: true })).toEqual([DB2]);
    expect(await snap.take("DB2")).toBeUndefined();
    snap.beginWrite("DB1")();
    expect(await snap.take("DB1", { again: true })).toBeUndefined();
    expect(await snap.take("DB2", { again: true })).toEqual([DB2]);
  });

  it("tells how many rows the table read in use holds, none while it is not filled or after it failed", () => {
    const snap = snapshot();
    expect(snap.size).toBeUndefined();
    const table = snap.begin();
    expect(snap.size).toBeUndefined();
    table.fill([DB1, DB2]);
    expect(snap.size).toBe(2);
    snap.begin().fail();
    expect(snap.size).toBeUndefined();
  });

  it("answers nothing without a table read", async () => {
    expect(await snapshot().take("DB1")).toBeUndefined();
  });

  it("gives the reads that waited for the table read their rows through claim, which counts as answering them", async () => {
    const snap = snapshot();
    const table = snap.begin();
    table.fill([DB1, DB2]);
    expect(table.claim("db1")).toEqual([DB1]);
    expect(table.claim("DB3")).toBeUndefined();
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("DB2")).toEqual([DB2]);
  });

  it("indexes a row once under aliases that coincide, and every row under an alias they share", async () => {
    const snap = snapshot({ aliases: (row) => [row.name.toLowerCase(), row.name.toLowerCase(), row.guid] });
    const twin = { name: "DB1", guid: "33333333-0000-0000-0000-000000000003" };
    snap.begin().fill([DB1, twin, DB2]);
    expect(await snap.take("DB1")).toEqual([DB1, twin]);
    expect(await snap.take(twin.guid)).toBeUndefined();
  });

  it("drops a failed table read, but not a newer one that replaced it", async () => {
    const snap = snapshot();
    const older = snap.begin();
    const waiting = snap.take("DB1");
    const newer = snap.begin();
    older.fail();
    expect(await waiting).toBeUndefined();
    expect(snap.wanted).toBe(false);
    newer.fail();
    expect(snap.wanted).toBe(true);
    expect(await snap.take("DB1")).toBeUndefined();
  });

  it("answers a read that waited only from the table read that is still current", async () => {
    const snap = snapshot();
    const older = snap.begin();
    const waiting = snap.take("DB1");
    const newer = snap.begin();
    older.fill([DB1]);
    expect(await waiting).toBeUndefined();
    newer.fill([DB1]);
    expect(await snap.take("DB1")).toEqual([DB1]);
  });

  it("stops answering from a table read older than maxAgeMs", async () => {
    const snap = snapshot({ maxAgeMs: 5_000 });
    snap.begin().fill([DB1, DB2]);
    now += 5_000;
    expect(snap.wanted).toBe(false);
    expect(await snap.take("DB1")).toEqual([DB1]);
    now += 1;
    expect(snap.wanted).toBe(true);
    expect(await snap.take("DB2")).toBeUndefined();
  });

  it("reads an object fresh after this process's own write to it started, ended or not", async () => {
    const snap = snapshot();
    snap.enter(); // a read is under way: the burst has begun
    snap.begin().fill([DB1, DB2]);
    const done = snap.beginWrite("DB1");
    expect(await snap.take("db1")).toBeUndefined();
    done();
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("DB2")).toEqual([DB2]);
  });

  it("knows a write by any alias of the object", async () => {
    const snap = snapshot();
    snap.enter(); // a read is under way: the burst has begun
    snap.begin().fill([DB1, DB2]);
    snap.beginWrite(DB1.guid.toUpperCase())();
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("DB2")).toEqual([DB2]);
  });

  it("reads an object fresh when its write ended after the table read started", async () => {
    const snap = snapshot();
    snap.enter(); // a read is under way: the burst has begun
    const done = snap.beginWrite("DB1");
    const table = snap.begin();
    table.fill([DB1, DB2]);
    done();
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("DB2")).toEqual([DB2]);
  });

  it("answers from a table read that started after the write ended, and ending a write twice changes nothing", async () => {
    const snap = snapshot();
    snap.enter(); // a read is under way: the burst has begun
    const done = snap.beginWrite("DB1");
    done();
    snap.begin().fill([DB1, DB2]);
    done();
    expect(await snap.take("DB1")).toEqual([DB1]);
    expect(await snap.take("DB2")).toEqual([DB2]);
  });

  it("reads every object fresh after a write to the whole table", async () => {
    const snap = snapshot();
    snap.enter(); // a read is under way: the burst has begun
    snap.begin().fill([DB1, DB2]);
    snap.beginWrite("*")();
    expect(await snap.take("DB1")).toBeUndefined();
    expect(await snap.take("DB2")).toBeUndefined();
    // A table read after it may answer again.
    snap.begin().fill([DB1]);
    expect(await snap.take("DB1")).toEqual([DB1]);
  });

  it("drops the table read when the kind was idle for more than idleMs, counted from the last read or write's end", async () => {
    const snap = snapshot({ idleMs: 1_000, maxAgeMs: 60_000 });
    const leave = snap.enter();
    snap.begin().fill([DB1, DB2]);
    now += 5_000;
    leave();
    now += 1_000;
    snap.enter()();
    expect(snap.wanted).toBe(false);
    now += 1_001;
    snap.enter();
    expect(snap.wanted).toBe(true);
  });

  it("keeps the table read while a read or write is under way, however long", async () => {
    const snap = snapshot({ idleMs: 1_000, maxAgeMs: 60_000 });
    const leave = snap.enter();
    snap.begin().fill([DB1]);
    now += 30_000;
    snap.enter();
    expect(snap.wanted).toBe(false);
    leave();
  });

  it("counts a read's end once, however often it is called", async () => {
    const snap = snapshot({ idleMs: 1_000, maxAgeMs: 60_000 });
    const leave = snap.enter();
    snap.begin().fill([DB1]);
    leave();
    leave();
    const write = snap.beginWrite("DB2");
    write();
    write();
    now += 1_001;
    snap.enter();
    expect(snap.wanted).toBe(true);
  });
});

describe("perConnection", () => {
  it("makes one value per name and connection, for the life of the process", () => {
    const name = `unit-${Math.random()}`;
    const create = vi.fn(() => ({}));
    const first = perConnection(name, connection, create);
    expect(perConnection(name, { ...connection }, create)).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
    expect(perConnection(`${name}-other`, connection, create)).not.toBe(first);
    expect(perConnection(name, { ...connection, statePath: "/nonexistent/other.json" }, create)).not.toBe(first);
    expect(create).toHaveBeenCalledTimes(3);
  });
});
