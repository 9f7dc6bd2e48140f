// The usual fixture of the host, scenario and fault suites: a private copy of the article's lab
// (local, or behind SSH with EXCHANGE_CAS_TEST_REMOTE=ssh, see lab.ts) and a freshly started
// dynamic-provider host, configured; afterwards the host is stopped and the lab removed.
// "each": a new pair for every test; "all": one pair for the file. `bind` receives the pair.
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { Host } from "./host";
import { createLab, type Lab } from "./lab";

export interface LabHost {
  lab: Lab;
  host: Host;
}

export function useLabHost(scope: "each" | "all", bind: (fixture: LabHost) => void): void {
  let current: LabHost | undefined;
  (scope === "each" ? beforeEach : beforeAll)(async () => {
    const lab = createLab();
    try {
      const host = await Host.start();
      current = { lab, host };
      await host.configure();
    } catch (error) {
      await current?.host.stop();
      current = undefined;
      lab.remove();
      throw error;
    }
    bind(current);
  });
  (scope === "each" ? afterEach : afterAll)(async () => {
    const fixture = current;
    current = undefined;
    if (fixture === undefined) return;
    try {
      await fixture.host.stop();
    } finally {
      fixture.lab.remove();
    }
  });
}
