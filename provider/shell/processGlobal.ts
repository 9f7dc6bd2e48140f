// The process-wide values of the shell (the session registry, the credentials' config source, the
// per-connection clients of perConnection): each lives on globalThis under a registered symbol, so
// every copy of this package that a process loads shares the same one.
import { connectionKey, type Connection } from "./connection";

/** The process's value under `Symbol.for(name)`, created by `create` on first use. */
export function processGlobal<T>(name: string, create: () => T): T {
  const g = globalThis as Record<symbol, unknown>;
  const key = Symbol.for(name);
  return (g[key] ??= create()) as T;
}

/** One `T` per connection and name, for the life of the process (like the session registry). */
export function perConnection<T>(name: string, connection: Connection, create: () => T): T {
  const store = processGlobal("exchange-cas.per-connection", () => new Map<string, unknown>());
  const key = `${name}|${connectionKey(connection)}`;
  let value = store.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    store.set(key, value);
  }
  return value;
}
