// Where a connection's password comes from at run time: stack config (pulumi config set --secret
// exchange-cas:password) or the EXCHANGE_CAS_PASSWORD environment variable. Stack config reaches
// the dynamic-provider host through the provider's configure, and the Pulumi program (where
// CasArraySite plans its site) through the SDK's runtime config. It is held only in this
// process's memory, never in state or in outputs.
/* eslint-disable @typescript-eslint/no-require-imports */
import { setting } from "../settings";
import { processGlobal } from "./processGlobal";

interface ConfigSource {
  get(key: string): string | undefined;
}

const KEY = "exchange-cas:password";
type Store = { config?: ConfigSource };
const store = processGlobal<Store>("exchange-cas.credentials", () => ({}));

/** Called from the provider's configure with the host's stack config. */
export function setConfigSource(config: ConfigSource | undefined): void {
  if (config !== undefined) store.config = config;
}

/**
 * The program's stack config as the SDK holds it (what `new pulumi.Config().get` reads; a secret
 * key's value is the plain text there). Loaded when first needed, so a process that never runs a
 * program does not load the SDK for it; the SDK keeps its config in a process-wide store, so this
 * reads the program's config whichever copy of @pulumi/pulumi resolves here.
 */
function programConfig(key: string): string | undefined {
  try {
    return (require("@pulumi/pulumi") as typeof import("@pulumi/pulumi")).runtime.getConfig(key);
  } catch {
    return undefined;
  }
}

export function lookupPassword(): string | undefined {
  let fromConfig: string | undefined;
  try {
    fromConfig = store.config !== undefined ? store.config.get(KEY) : programConfig(KEY);
  } catch {
    fromConfig = undefined;
  }
  return fromConfig ?? setting("EXCHANGE_CAS_PASSWORD");
}
