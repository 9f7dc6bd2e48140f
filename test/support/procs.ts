// Process-tree inspection through /proc: how many pwsh processes a host really runs.
import * as fs from "node:fs";

function stat(pid: number): { ppid: number; comm: string; state: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const [state = "", ppid] = text.slice(close + 2).split(" ");
    return { ppid: Number(ppid), comm, state };
  } catch {
    return undefined;
  }
}

/** Live pwsh processes whose parent is `parent`. */
export function pwshChildren(parent: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      const s = stat(pid);
      return s !== undefined && s.ppid === parent && s.comm.toLowerCase().startsWith("pwsh");
    });
}

/** A process's state letter (R, S, T stopped, Z zombie...); undefined once it is gone. */
export function processState(pid: number): string | undefined {
  return stat(pid)?.state;
}

/** Whether `pid` is a live process (an exited one not yet reaped, a zombie, is not). */
export function running(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The command line of a process, arguments split. */
export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** `parent` and every process below it. */
export function descendantsOf(parent: number): number[] {
  const all = fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const result: number[] = [];
  const queue = [parent];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const pid of all)
      if (stat(pid)?.ppid === p) {
        result.push(pid);
        queue.push(pid);
      }
  }
  return result;
}

/** The environment of a process as one string (NUL-separated entries turned into newlines). */
export function environ(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").join("\n");
  } catch {
    return "";
  }
}
