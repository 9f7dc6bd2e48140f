// Process-tree inspection through /proc: how many pwsh processes a host really runs.
import * as fs from "node:fs";

function stat(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const ppid = Number(text.slice(close + 2).split(" ")[1]);
    return { ppid, comm };
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
  const all = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  const result: number[] = [];
  const queue = [parent];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const pid of all) if (stat(pid)?.ppid === p) { result.push(pid); queue.push(pid); }
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
