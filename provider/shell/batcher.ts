// Batching of requests onto a connection's one session, so a site of hundreds of objects costs
// about what one admin script costs (one session, few round trips), whatever the engine's
// parallelism sends at once.
//
// Batcher: DataLoader-style. The first request takes a turn on the session; requests arriving
// before that turn starts (while the session opens, or runs other commands) join it; the batch
// closes when the turn starts, and later requests take the next turn. So every request is
// answered by a command that STARTED AFTER the request was made: a read requested after a write
// finished always sees it.
//
// TableSnapshot (tableSnapshot.ts) relaxes this, within bounds, for reads of one kind of object.
import { type Connection } from "./connection";
import type { Envelope } from "./envelope";
import { noAnswerError } from "./errors";
import { sessions } from "./registry";
import type { CommandSpec } from "./session";

export type Outcome<V> = { ok: true; value: V } | { ok: false; error: unknown };

/** What to run for one closed batch, and how to turn its envelopes into one outcome per request. */
export interface BatchPlan<V> {
  /** Run in one turn (one round trip): one command, or several with one envelope each. */
  commands: CommandSpec[];
  /** One outcome per request, in order. May run further commands (they start later still). */
  settle(envelopes: Envelope[]): Outcome<V>[] | Promise<Outcome<V>[]>;
  /** The error each request gets when the turn itself failed (default: the same error for all). */
  failed?(error: unknown, index: number): unknown;
}

interface Waiting<K, V> {
  key: K;
  resolve(value: V): void;
  reject(error: unknown): void;
}

export class Batcher<K, V> {
  private pending: Waiting<K, V>[] = [];
  private turnQueued = false;
  /** Turns taken and requests answered, for tests. */
  readonly counts = { turns: 0, requests: 0 };

  constructor(
    private readonly connection: Connection,
    /** Builds the plan for a closed batch; called when its turn starts. Keys are distinct under `id`. */
    private readonly plan: (keys: K[]) => BatchPlan<V>,
    /** Requests with equal ids share one answer; without it every request is its own. */
    private readonly id?: (key: K) => string,
    /** Its turns go before other waiting turns (for reads: see PwshSession.runBatch). */
    private readonly first = false,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.pending.push({ key, resolve, reject });
      if (!this.turnQueued) this.takeTurn();
    });
  }

  private takeTurn(): void {
    this.turnQueued = true;
    let batch: Waiting<K, V>[] = [];
    let keys: K[] = [];
    let slotOf: number[] = [];
    let plan: BatchPlan<V> | undefined;
    const build = (): CommandSpec[] => {
      // The turn starts: the batch closes; whatever arrives from now on takes the next turn.
      this.turnQueued = false;
      batch = this.pending;
      this.pending = [];
      if (batch.length === 0) return [];
      ({ keys, slotOf } = distinct(
        batch.map((w) => w.key),
        this.id,
      ));
      this.counts.turns++;
      this.counts.requests += batch.length;
      plan = this.plan(keys);
      return plan.commands;
    };
    const turn = sessions().runBatch(this.connection, build, { gather: true, first: this.first });
    void turn
      .then(async (envelopes) => {
        if (plan === undefined) return;
        const outcomes = await plan.settle(envelopes);
        batch.forEach((w, i) => {
          const outcome = outcomes[slotOf[i] as number];
          if (outcome === undefined) w.reject(noAnswerError());
          else if (outcome.ok) w.resolve(outcome.value);
          else w.reject(outcome.error);
        });
      })
      .catch((error: unknown) => {
        if (plan === undefined && batch.length === 0) {
          // The turn never started (the session could not be opened): everything that was
          // waiting for it fails the same way.
          this.turnQueued = false;
          batch = this.pending;
          this.pending = [];
          for (const w of batch) w.reject(error);
          return;
        }
        batch.forEach((w, i) => w.reject(plan?.failed !== undefined ? plan.failed(error, slotOf[i] as number) : error));
      });
  }
}

function distinct<K>(all: K[], id: ((key: K) => string) | undefined): { keys: K[]; slotOf: number[] } {
  if (id === undefined) return { keys: all, slotOf: all.map((_, i) => i) };
  const index = new Map<string, number>();
  const keys: K[] = [];
  const slotOf = all.map((key) => {
    const k = id(key);
    let slot = index.get(k);
    if (slot === undefined) {
      slot = keys.length;
      keys.push(key);
      index.set(k, slot);
    }
    return slot;
  });
  return { keys, slotOf };
}
