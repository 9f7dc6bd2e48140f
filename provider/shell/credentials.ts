// Where a connection's password comes from at run time: stack config (pulumi config set --secret
// exchange-cas:password, handed to the provider's configure) or the EXCHANGE_CAS_PASSWORD
// environment variable. It is held only in this process's memory, never in state or in outputs.
interface ConfigSource {
  get(key: string): string | undefined;
}

const STORE = Symbol.for("exchange-cas.credentials");
type Store = { config?: ConfigSource };
const g = globalThis as typeof globalThis & { [STORE]?: Store };
const store: Store = (g[STORE] ??= {});

/** Called from the provider's configure with the host's stack config. */
export function setConfigSource(config: ConfigSource | undefined): void {
  if (config !== undefined) store.config = config;
}

export function lookupPassword(): string | undefined {
  let fromConfig: string | undefined;
  try {
    fromConfig = store.config?.get("exchange-cas:password");
  } catch {
    fromConfig = undefined;
  }
  return fromConfig ?? process.env.EXCHANGE_CAS_PASSWORD ?? undefined;
}
