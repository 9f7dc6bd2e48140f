// Ending a pwsh for good. The .NET global tool's `pwsh` is a launcher that runs the real pwsh as
// its child, so killing the launcher alone leaves a hung pwsh running (and holding the lab's
// lock or an Exchange shell). On Linux the descendants are found through /proc.
import * as fs from "node:fs";

function childrenOf(pid: number): number[] {
  if (process.platform !== "linux") return [];
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** `pid` and all its descendants. */
export function descendants(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    all.push(next);
    queue.push(...childrenOf(next));
  }
  return all;
}

/** SIGKILLs the process and every descendant (children first, so none is re-parented and missed). */
export function killTree(pid: number): void {
  for (const p of descendants(pid).reverse()) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
