// TableSnapshot: a stronger, bounded relaxation for reads of one kind of object. A whole-table
// read (e.g. one Get-MailboxDatabase for every database), taken when several reads arrive at
// once, may answer later reads of the same operation without a command, as long as
// - this process has started no write that could change that object since the table read
//   started (own writes are tracked per object, or for the whole table),
// - the object has not been answered from this table read before (each object at most once),
//   unless the read says it may repeat an answer (`again`: the read before this process's own
//   write of that object, whose first read in the burst was this table read's answer too),
// - the table read is at most `maxAgeMs` old, and the kind has not been idle for `idleMs`
//   (no reads or writes of it: a new operation, or a test step, starts with a fresh read).
// What it gives up: such a read may miss a change made by SOMEONE ELSE after the table read
// started (at most maxAgeMs earlier, within one burst of activity). See the bench README; the
// batching itself is in batcher.ts.

interface Table<R> {
  /** The write clock when the table read started. */
  startedAt: number;
  startedMs: number;
  rows?: R[];
  index: Map<string, R[]>;
  served: Set<R>;
  ready: Promise<void>;
}

export interface TableSnapshotOptions<R> {
  /** Every identity an object answers to, normalized (name, Guid, DN...). */
  aliases(row: R): string[];
  /** An identity as a request gives it, normalized like `aliases`. */
  normalize(identity: string): string;
  maxAgeMs: number;
  idleMs: number;
}

/** How `take` may answer. */
export interface TakeOptions {
  /** Rows this table read answered before may be given again (every other rule still holds). */
  again?: boolean;
}

/** A whole-table read that may answer later reads of one burst (see the top of this file). */
export class TableSnapshot<R> {
  private clock = 0;
  private readonly writes = new Map<string, number>();
  private wholeTableWrite = 0;
  private current: Table<R> | undefined;
  /** Reads and writes of this kind under way, and when that count last changed. */
  private active = 0;
  private lastActivityMs = 0;

  constructor(private readonly options: TableSnapshotOptions<R>) {}

  /**
   * A read or write of this kind starts; call the returned function when it has ended. If none
   * was under way for more than idleMs, the burst the table read belonged to is over: it goes.
   */
  enter(): () => void {
    const now = Date.now();
    if (this.active === 0 && now - this.lastActivityMs > this.options.idleMs) this.current = undefined;
    this.active++;
    this.lastActivityMs = now;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.lastActivityMs = Date.now();
    };
  }

  /**
   * A write that may change the object `identity` ("*": any object of the table) is starting; call
   * the returned function when it has ended, failed or not. Until a table read that started
   * after that end, the object is always read fresh.
   */
  beginWrite(identity: string): () => void {
    const stamp = () => {
      this.clock++;
      if (identity === "*") this.wholeTableWrite = this.clock;
      else this.writes.set(this.options.normalize(identity), this.clock);
    };
    const leave = this.enter();
    stamp();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      stamp();
      leave();
    };
  }

  /** How many rows the table read in use holds (undefined while none is filled). */
  get size(): number | undefined {
    return this.current?.rows?.length;
  }

  /** Whether a table read taken now would still be in use: none is, or the one there expired. */
  get wanted(): boolean {
    return this.current === undefined || this.expired(this.current);
  }

  /**
   * A table read is starting (call it when its command starts); fill or fail the result. Once
   * filled, `claim` answers the reads that were waiting for this table read (they were requested
   * before it started, so it is fresh for them): the rows for an identity, marked answered.
   */
  begin(): { fill(rows: R[]): void; fail(): void; claim(identity: string): R[] | undefined } {
    this.clock++;
    let done: () => void = () => undefined;
    const table: Table<R> = {
      startedAt: this.clock,
      startedMs: Date.now(),
      index: new Map(),
      served: new Set(),
      ready: new Promise<void>((resolve) => (done = resolve)),
    };
    this.current = table;
    return {
      fill: (rows) => {
        for (const row of rows) {
          for (const alias of new Set(this.options.aliases(row))) {
            const list = table.index.get(alias);
            if (list === undefined) table.index.set(alias, [row]);
            else list.push(row);
          }
        }
        table.rows = rows;
        done();
      },
      fail: () => {
        if (this.current === table) this.current = undefined;
        done();
      },
      claim: (identity) => {
        const rows = table.index.get(this.options.normalize(identity));
        if (rows === undefined) return undefined;
        for (const row of rows) table.served.add(row);
        return rows;
      },
    };
  }

  /**
   * The rows for `identity` if the table read may answer this read (and marks them answered);
   * undefined when the read must be made fresh. With `again`, rows this table read answered
   * before may be given again (every other rule still holds: no write of this process since the
   * table read started, not expired, the burst not over).
   */
  async take(identity: string, options: TakeOptions = {}): Promise<R[] | undefined> {
    const table = this.current;
    if (table === undefined) return undefined;
    if (this.expired(table)) {
      this.current = undefined;
      return undefined;
    }
    await table.ready;
    if (this.current !== table || table.rows === undefined) return undefined;
    const rows = table.index.get(this.options.normalize(identity));
    if (rows === undefined || rows.length === 0) return undefined;
    if (this.wholeTableWrite > table.startedAt) return undefined;
    for (const row of rows) {
      if (options.again !== true && table.served.has(row)) return undefined;
      if (this.options.aliases(row).some((alias) => (this.writes.get(alias) ?? 0) > table.startedAt)) return undefined;
    }
    for (const row of rows) table.served.add(row);
    return rows;
  }

  private expired(table: Table<R>): boolean {
    return Date.now() - table.startedMs > this.options.maxAgeMs;
  }
}
