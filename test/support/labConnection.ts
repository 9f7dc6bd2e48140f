// The fixture of the suites that drive the provider's clients directly (no host): a private copy
// of the article's lab for every test (local, or behind SSH with EXCHANGE_CAS_TEST_REMOTE=ssh),
// its parsed connection, and this process's sessions closed after each test and at the end.
import { afterAll, afterEach, beforeEach } from "vitest";
import { ConnectionSchema, sessions, type Connection } from "../../provider/shell";
import { createLab, type Lab } from "./lab";

export function useLabConnection(bind: (fixture: { lab: Lab; connection: Connection }) => void): void {
  let lab: Lab | undefined;
  beforeEach(() => {
    lab = createLab();
    bind({ lab, connection: ConnectionSchema.parse(lab.connection) });
  });
  afterEach(async () => {
    await sessions().closeAll();
    lab?.remove();
    lab = undefined;
  });
  afterAll(async () => {
    await sessions().closeAll();
  });
}
