// TableSnapshot.memo (provider/shell/tableSnapshot.ts): what a lookup found that every database's
// rendering depends on (the FQDN a CAS array's name renders as) is kept for one burst of work, as
// a table read is, and looked up again after this process's own write of the whole kind ("*"), a
// pause longer than idleMs, or maxAgeMs. Date.now is faked; nothing waits.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TableSnapshot } from "../../provider/shell/tableSnapshot";

let now = 0;
beforeEach(() => {
  now = 1_000_000;
  vi.spyOn(Date, "now").mockImplementation(() => now);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const snapshot = () => new TableSnapshot<string>({ aliases: (row) => [row], normalize: (id) => id.toLowerCase(), maxAgeMs: 5_000, idleMs: 1_000 });

/** A lookup that answers its calls in turn and counts them. */
function lookup(...answers: string[]) {
  let calls = 0;
  const load = vi.fn(() => Promise.resolve(answers[Math.min(calls++, answers.length - 1)] as string));
  return load;
}

describe("TableSnapshot.memo", () => {
  it("looks a key up once in a burst, concurrent callers included, and each key on its own", async () => {
    const snap = snapshot();
    const load = lookup("outlook-ho.contoso.com");
    const leave = snap.enter();
    expect(await Promise.all([snap.memo("a", load), snap.memo("a", load)])).toEqual(["outlook-ho.contoso.com", "outlook-ho.contoso.com"]);
    expect(await snap.memo("a", load)).toBe("outlook-ho.contoso.com");
    expect(load).toHaveBeenCalledTimes(1);
    const other = lookup("other");
    expect(await snap.memo("b", other)).toBe("other");
    expect(other).toHaveBeenCalledTimes(1);
    leave();
  });

  it("looks again after this process's write of the whole kind ended, not after a write of one object", async () => {
    const snap = snapshot();
    const load = lookup("old.contoso.com", "new.contoso.com");
    snap.enter();
    expect(await snap.memo("a", load)).toBe("old.contoso.com");
    snap.beginWrite("DB1")();
    expect(await snap.memo("a", load)).toBe("old.contoso.com");
    const renaming = snap.beginWrite("*");
    renaming();
    expect(await snap.memo("a", load)).toBe("new.contoso.com");
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("looks again in the next burst (a pause longer than idleMs) and once the value is older than maxAgeMs", async () => {
    const snap = snapshot();
    const load = lookup("1", "2", "3");
    snap.enter()();
    expect(await snap.memo("a", load)).toBe("1");
    now += 1_001;
    expect(await snap.memo("a", load)).toBe("2");
    const leave = snap.enter();
    now += 5_001;
    expect(await snap.memo("a", load)).toBe("3");
    leave();
  });

  it("keeps no failed lookup: the next call looks again", async () => {
    const snap = snapshot();
    const leave = snap.enter();
    const failing = vi.fn(() => Promise.reject(new Error("session gone")));
    await expect(snap.memo("a", failing)).rejects.toThrow("session gone");
    const load = lookup("found");
    expect(await snap.memo("a", load)).toBe("found");
    expect(load).toHaveBeenCalledTimes(1);
    leave();
  });
});
