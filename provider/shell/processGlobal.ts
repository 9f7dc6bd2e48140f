// The process-wide values of the shell (the session registry, the credentials' config source, the
// per-connection batchers): each lives on globalThis under a registered symbol, so every copy of
// this package that a process loads shares the same one.

/** The process's value under `Symbol.for(name)`, created by `create` on first use. */
export function processGlobal<T>(name: string, create: () => T): T {
  const g = globalThis as Record<symbol, unknown>;
  const key = Symbol.for(name);
  return (g[key] ??= create()) as T;
}
