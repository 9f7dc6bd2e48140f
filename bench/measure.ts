// What a run costs besides time: the processes it started and their memory, sampled from /proc.
import * as fs from "node:fs";
import * as os from "node:os";
import { spawnSync } from "node:child_process";

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      out.push({
        pid: Number(entry),
        comm: stat.slice(stat.indexOf("(") + 1, close),
        ppid: Number(stat.slice(close + 2).split(" ")[1]),
      });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in ms; undefined once it is gone. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Samples a process tree every `everyMs`: the peak of the summed RSS of the root and its
 * descendants, the pwsh processes seen (a session is one pwsh started by the root; the .NET
 * global tool's launcher starts the real pwsh below it, which is not counted again), and the CPU
 * time the tree used since start() (the root's from then, its descendants' all: they start later;
 * a descendant that exits between two samples loses what it used after the last one).
 */
export class TreeSampler {
  private timer: NodeJS.Timeout | undefined;
  peakRssKb = 0;
  private readonly sessions = new Set<number>();
  private readonly cpuSeen = new Map<number, number>();
  private rootCpuAtStart: number | undefined;

  constructor(
    private readonly root: () => number | undefined,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    const root = this.root();
    if (root !== undefined) this.rootCpuAtStart = cpuMs(root);
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): { peakRssMb: number; pwshStarted: number; cpuMs: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const root = this.root();
    let cpu = 0;
    for (const [pid, used] of this.cpuSeen) cpu += pid === root ? used - (this.rootCpuAtStart ?? 0) : used;
    return { peakRssMb: Math.round(this.peakRssKb / 1024), pwshStarted: this.sessions.size, cpuMs: cpu };
  }

  private sample(): void {
    const root = this.root();
    if (root === undefined) return;
    const all = processes();
    const tree = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of all) {
        if (!tree.has(p.pid) && tree.has(p.ppid)) {
          tree.add(p.pid);
          grew = true;
        }
      }
    }
    let rss = 0;
    for (const pid of tree) {
      rss += rssKb(pid);
      const used = cpuMs(pid);
      if (used !== undefined) this.cpuSeen.set(pid, used);
    }
    this.peakRssKb = Math.max(this.peakRssKb, rss);
    const byPid = new Map(all.map((p) => [p.pid, p]));
    for (const pid of tree) {
      const p = byPid.get(pid);
      if (p === undefined || !p.comm.toLowerCase().startsWith("pwsh")) continue;
      const parent = byPid.get(p.ppid);
      // A pwsh whose parent is a pwsh is the launcher's real pwsh: the same session.
      if (pid === root || parent === undefined || !parent.comm.toLowerCase().startsWith("pwsh")) this.sessions.add(pid);
    }
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function machine(pwsh: string): string {
  const version = spawnSync(pwsh, ["-NoProfile", "-Command", "$PSVersionTable.PSVersion.ToString()"], {
    encoding: "utf8",
  }).stdout.trim();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return [
    `${os.availableParallelism()} CPUs (nproc; ${cpu})`,
    `${Math.round(os.totalmem() / 1024 ** 3)} GiB memory`,
    `Linux ${os.release()}`,
    `node ${process.version}`,
    `pwsh ${version}`,
    new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  ].join(", ");
}
