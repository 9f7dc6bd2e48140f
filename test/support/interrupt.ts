// Killing the provider host in the middle of an operation, deterministically: the lab hangs a
// named command (Add-ExchangeLabFault -Kind Hang, optionally -After another command or for one
// -Server's Windows commands) and records in its state that the command started (lab.hung);
// the test waits for that record, then kills the host and every process below it with SIGKILL,
// as a crash or `kill -9` of the engine would: nothing gets to clean up or answer.
import * as fs from "node:fs";
import type { Host } from "./host";
import type { Lab } from "./lab";
import { descendantsOf, running } from "./procs";

/** A Hang fault: the command to hang, and optionally the command it waits for, and the server. */
export interface HangAt {
  command: string;
  after?: string;
  server?: string;
}

interface LabHang {
  Command: string;
  Server: string;
}

function hangs(lab: Lab): LabHang[] {
  try {
    const state = JSON.parse(fs.readFileSync(lab.statePath, "utf8")) as { lab?: { hung?: LabHang[] } };
    return state.lab?.hung ?? [];
  } catch {
    // Read between the lab's write and its rename: the next look sees the whole file.
    return [];
  }
}

/** Waits for `condition`, looking again every few milliseconds; a limit only stops a test that would hang. */
export async function until(condition: () => boolean, what: string, limitMs = 540_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Adds the Hang fault at the console. */
export async function addHang(lab: Lab, at: HangAt): Promise<void> {
  const after = at.after === undefined ? "" : ` -After ${at.after}`;
  const server = at.server === undefined ? "" : ` -Server ${at.server}`;
  await lab.pwsh(`$null = Add-ExchangeLabFault ${at.command} -Kind Hang${after}${server}`);
}

/** Kills `host` and every process below it (its pwsh sessions) with SIGKILL, and waits until all are gone. */
export async function killHost(host: Host): Promise<void> {
  const pid = host.child.pid;
  if (pid === undefined) return;
  const tree = descendantsOf(pid);
  const exited =
    host.child.exitCode !== null || host.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => host.child.once("exit", () => resolve()));
  host.child.kill("SIGKILL");
  for (const child of tree) {
    try {
      process.kill(child, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await exited;
  await until(() => tree.every((p) => !running(p)), "the killed host's processes to exit");
}

/**
 * Runs `operation` (steps on `host`), and kills the host as soon as the lab says the command of
 * `at` started and hangs: the operation is interrupted exactly there. Resolves once the host and
 * its processes are gone; the operation's own failure (its host died under it) is expected.
 */
export async function interruptAt(lab: Lab, host: Host, at: HangAt, operation: () => Promise<unknown>): Promise<void> {
  const before = hangs(lab).length;
  await addHang(lab, at);
  let settled = false;
  let failure: unknown;
  const running = operation().then(
    () => (settled = true),
    (e: unknown) => {
      settled = true;
      failure = e;
    },
  );
  await until(() => settled || hangs(lab).length > before, `${at.command} to start and hang`);
  if (hangs(lab).length === before) {
    throw new Error(
      `the operation ended before ${at.command} hung: ${failure instanceof Error ? failure.message : String(failure ?? "it succeeded")}`,
    );
  }
  await killHost(host);
  await running;
}
