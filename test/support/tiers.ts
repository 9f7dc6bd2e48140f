// Which tier collects a test. A file listed in SSH_FILES (vitest.config.mts) runs in the local
// tier and again over SSH; inside it, a test whose behaviour is the provider's own logic (which the
// local run proves and the transport cannot change) is registered through `localOnly`, so the ssh
// project does not collect it at all: it is not skipped there, it does not exist there.
import { TEST_REMOTE } from "./lab";

/** Registers the tests (or describes) that `register` declares only in the local tier. */
export function localOnly(register: () => void): void {
  if (TEST_REMOTE === "local") register();
}
