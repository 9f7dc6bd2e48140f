// A site of N mailbox databases through the real dynamic-provider host, against the lab with a
// real site's latency, compared with the script an expert admin would write for the same work in
// one pwsh. Run with `npm run bench`; knobs are environment variables (see bench/README.md).
// Writes bench/results.md and prints the same table.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { findPwsh } from "../provider/shell/session";
import type { ConnectionInput } from "exchange-cas";
import { register, settleSite, type Registration } from "../test/support/contract";
import { Host, ROOT } from "../test/support/host";
import { apply, echoProvider, noop, refresh, withProvider, type Resource } from "./engine";
import { machine, median, TreeSampler } from "./measure";
import { allPointAtArray, baselineApply, baselineRefresh, LAB_MODULE, SITE, siteState, type Latency } from "./site";

const int = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${value} is not a whole number`);
  return n;
};

const LATENCY: Latency = {
  SessionOpenMs: int("BENCH_SESSION_OPEN_MS", 2000),
  ExchangeCommandMs: int("BENCH_EXCHANGE_MS", 30),
  DnsCommandMs: int("BENCH_DNS_MS", 10),
};
const SIZES = (process.env.BENCH_SIZES ?? "100,500,2000").split(",").map((s) => Number(s.trim()));
const RUNS = int("BENCH_RUNS", 3);
const LARGE_RUNS = int("BENCH_LARGE_RUNS", RUNS);
/** Runs for N >= 2,000 (each takes minutes). */
const HUGE_RUNS = int("BENCH_HUGE_RUNS", 1);
const runsFor = (n: number) => (n >= 2000 ? HUGE_RUNS : n >= 500 ? LARGE_RUNS : RUNS);
/** The engine's default --parallel: 4 x GOMAXPROCS (the number of CPUs). */
const PARALLEL = int("BENCH_PARALLEL", 4 * os.availableParallelism());
/** Also measure with the table read off (every read answered by a command started after it): "none", "refresh" or "all". */
const STRICT = (process.env.BENCH_STRICT ?? "refresh").trim();
/** Also measure the site with its databases as one resource (CasArraySite databaseResources "one"): "on" or "off". */
const ONE = (process.env.BENCH_ONE_RESOURCE ?? "on").trim() !== "off";
const PWSH = findPwsh();
/** The machine's load when the bench started: another process's work shows in every time measured. */
const LOAD_AT_START = os.loadavg();

interface Sample {
  ms: number;
  peakRssMb: number;
  pwshStarted: number;
  /** CPU time of the measured processes: the host and its pwsh, or the baseline's pwsh. */
  cpuMs: number;
  /** CPU time of this process (the engine's side: the gRPC client) during a provider run. */
  harnessCpuMs?: number;
  commands?: Record<string, number>;
  roundTrips?: number;
  hostStartMs?: number;
}

type Workload =
  | "apply"
  | "refresh"
  | "refresh: engine boundary only"
  | "no-op apply"
  | "apply (strict reads)"
  | "refresh (strict reads)"
  | "apply, databases as one resource"
  | "refresh, databases as one resource"
  | "no-op apply, databases as one resource";

interface Row {
  n: number;
  workload: Workload;
  provider: Sample[];
  baseline: Sample[];
}

const rows: Row[] = [];
/** The program's site plan (preview) on a warm session: with every database changing (mailboxes counted) and with none changing. */
const planCost: { n: number; changing: number[]; unchanged: number[] }[] = [];
const stateBytes: {
  n: number;
  provider: number;
  settingOutputs: number;
  settingInputs: number;
  arrayOutputs: number;
  recordOutputs: number;
  oneResourcePerDatabase?: number;
}[] = [];

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function runProvider<T>(
  env: Record<string, string>,
  work: (host: Host) => Promise<T>,
): Promise<{ sample: Sample; result: T }> {
  const t0 = performance.now();
  const profile: Record<string, string> = process.env.BENCH_HOST_NODE_OPTIONS
    ? { NODE_OPTIONS: process.env.BENCH_HOST_NODE_OPTIONS }
    : {};
  const host = await Host.start({ EXCHANGE_CAS_STATS: "1", ...profile, ...env });
  await host.configure();
  const hostStartMs = performance.now() - t0;
  const sampler = new TreeSampler(() => host.child.pid).start();
  const harness = process.cpuUsage();
  const started = performance.now();
  let result: T;
  let ms: number;
  let usage: { peakRssMb: number; pwshStarted: number; cpuMs: number };
  let harnessCpuMs: number;
  try {
    result = await work(host);
  } finally {
    ms = performance.now() - started;
    const used = process.cpuUsage(harness);
    harnessCpuMs = (used.user + used.system) / 1000;
    usage = sampler.stop();
    await host.stop();
  }
  const line = /exchange-cas stats: (\{.*\})/.exec(host.log)?.[1];
  const stats = line ? (JSON.parse(line) as { commands: Record<string, number>; roundTrips: number }) : undefined;
  return {
    sample: { ms, ...usage, harnessCpuMs, hostStartMs, commands: stats?.commands, roundTrips: stats?.roundTrips },
    result,
  };
}

async function runBaseline(dir: string, script: string): Promise<Sample> {
  const file = path.join(dir, "baseline.ps1");
  fs.writeFileSync(file, script);
  const started = performance.now();
  const child = spawn(PWSH, ["-NoProfile", "-NonInteractive", "-File", file], {
    env: { ...process.env, NO_COLOR: "1", TERM: "dumb" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const sampler = new TreeSampler(() => child.pid).start();
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const ms = performance.now() - started;
  const usage = sampler.stop();
  if (code !== 0) throw new Error(`the baseline script failed (${code}): ${output}`);
  // The script's own count of its CPU time (the sampler may miss its last 100 ms).
  const own = /##BENCH-CPU-MS## (\d+)/.exec(output)?.[1];
  return { ms, ...usage, cpuMs: own === undefined ? usage.cpuMs : Math.max(usage.cpuMs, Number(own)) };
}

function bytes(value: unknown): number {
  return Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value), "utf8");
}

/** Closes the sessions the program side (planSite, run here) opened. */
async function closeProgramSessions(): Promise<void> {
  const runtime = createRequire(path.join(ROOT, "package.json"))(
    "exchange-cas/runtime",
  ) as typeof import("exchange-cas/runtime");
  await runtime.sessions().closeAll();
}

async function declare(
  connection: ConnectionInput,
  databaseResources: "each" | "one" = "each",
): Promise<Registration[]> {
  return register(async (lib) => {
    const site = new lib.CasArraySite("headoffice", {
      site: SITE.site,
      arrayName: SITE.arrayName,
      fqdn: SITE.fqdn,
      dns: { zone: SITE.zone, server: SITE.dnsServer, addresses: [SITE.address] },
      connection,
      databaseResources,
    });
    await settleSite(site);
    return [];
  });
}

function settingsOf(resources: Resource[]): Resource[] {
  return resources.filter((r) => r.reg.type.endsWith(":MailboxDatabaseRpcSetting"));
}

function benchSize(n: number): void {
  it(`a site of ${n} databases`, async () => {
    const runs = runsFor(n);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `excas-bench-${n}-`));
    const statePath = path.join(dir, "state.json");
    const pristine = siteState(n, LATENCY);
    const connection: ConnectionInput = { kind: "lab", statePath, modulePath: LAB_MODULE };
    try {
      fs.writeFileSync(statePath, pristine);
      log(`N=${n}: declaring the site (the program's planSite runs here, not measured)`);
      const regs = await declare(connection);
      const regsOne = ONE ? await declare(connection, "one") : [];
      await closeProgramSessions();
      expect(regs.filter((r) => r.type.endsWith(":MailboxDatabaseRpcSetting"))).toHaveLength(n);
      if (ONE)
        expect(regsOne.find((r) => r.type.endsWith(":MailboxDatabaseRpcSettings"))?.inputs.databases).toHaveLength(n);
      const row = (workload: Workload): Row => {
        let r = rows.find((x) => x.n === n && x.workload === workload);
        if (r === undefined) rows.push((r = { n, workload, provider: [], baseline: [] }));
        return r;
      };
      const strictEnv = { EXCHANGE_CAS_READ_PREFETCH: "0" };
      for (let run = 1; run <= runs; run++) {
        fs.writeFileSync(statePath, pristine);
        row("apply").baseline.push(await runBaseline(dir, baselineApply(statePath)));
        expect(allPointAtArray(statePath, n)).toBe(true);
        log(`N=${n} run ${run}: baseline apply ${Math.round(row("apply").baseline.at(-1)?.ms ?? 0)} ms`);

        // The preview's own cost: the program's site plan on a warm session, every database changing
        // (so the mailboxes of the site's servers are counted: one Get-Mailbox per server, 3 per database).
        fs.writeFileSync(statePath, pristine);
        const plans =
          planCost.find((c) => c.n === n) ??
          (planCost.push({ n, changing: [], unchanged: [] }), planCost[planCost.length - 1]);
        if (plans === undefined) throw new Error("no plan cost row");
        await declare(connection);
        let t = performance.now();
        await declare(connection);
        plans.changing.push(performance.now() - t);

        fs.writeFileSync(statePath, pristine);
        const applied = await runProvider({}, (host) => apply(host, regs, PARALLEL));
        row("apply").provider.push(applied.sample);
        expect(allPointAtArray(statePath, n)).toBe(true);
        for (const s of settingsOf(applied.result)) expect(s.outputs.rpcClientAccessServer).toBe(SITE.fqdn);
        log(
          `N=${n} run ${run}: provider apply ${Math.round(applied.sample.ms)} ms ${JSON.stringify(applied.sample.commands)}`,
        );
        t = performance.now();
        await declare(connection);
        plans.unchanged.push(performance.now() - t);
        await closeProgramSessions();
        log(
          `N=${n} run ${run}: site plan ${Math.round(plans.changing.at(-1) ?? 0)} ms with every database changing, ${Math.round(plans.unchanged.at(-1) ?? 0)} ms with none`,
        );
        if (run === 1) {
          const settings = settingsOf(applied.result);
          const mean = (f: (r: Resource) => number) =>
            Math.round(settings.reduce((sum, r) => sum + f(r), 0) / settings.length);
          const other = (suffix: string) => bytes(applied.result.find((r) => r.reg.type.endsWith(suffix))?.outputs);
          stateBytes.push({
            n,
            provider: bytes(regs[0]?.provider ?? ""),
            settingOutputs: mean((r) => bytes(r.outputs)),
            settingInputs: mean((r) => bytes(r.inputs)),
            arrayOutputs: other(":ClientAccessArray"),
            recordOutputs: other(":DnsARecord"),
          });
        }

        const refreshed = await runProvider({}, (host) => refresh(host, applied.result, PARALLEL));
        row("refresh").provider.push(refreshed.sample);
        for (const s of settingsOf(refreshed.result)) expect(s.outputs.rpcClientAccessServer).toBe(SITE.fqdn);
        row("refresh").baseline.push(await runBaseline(dir, baselineRefresh(statePath)));
        log(
          `N=${n} run ${run}: provider refresh ${Math.round(refreshed.sample.ms)} ms ${JSON.stringify(refreshed.sample.commands)}, baseline ${Math.round(row("refresh").baseline.at(-1)?.ms ?? 0)} ms`,
        );

        // The same Reads, same bytes, answered by a provider that runs nothing: the boundary's share.
        const provider = String(applied.result[0]?.inputs.__provider ?? "");
        const echo = await runProvider({}, (host) =>
          refresh(host, withProvider(applied.result, echoProvider(provider.length)), PARALLEL),
        );
        row("refresh: engine boundary only").provider.push(echo.sample);
        row("refresh: engine boundary only").baseline.push(...row("refresh").baseline.slice(-1));
        log(`N=${n} run ${run}: engine boundary only (echo provider) ${Math.round(echo.sample.ms)} ms`);

        row("no-op apply").provider.push(
          (await runProvider({}, (host) => noop(host, applied.result, PARALLEL))).sample,
        );
        row("no-op apply").baseline.push(await runBaseline(dir, baselineRefresh(statePath)));
        log(`N=${n} run ${run}: provider no-op ${Math.round(row("no-op apply").provider.at(-1)?.ms ?? 0)} ms`);

        if (STRICT === "refresh" || STRICT === "all") {
          const strict = await runProvider(strictEnv, (host) => refresh(host, applied.result, PARALLEL));
          row("refresh (strict reads)").provider.push(strict.sample);
          row("refresh (strict reads)").baseline.push(...row("refresh").baseline.slice(-1));
          log(
            `N=${n} run ${run}: provider refresh, strict reads ${Math.round(strict.sample.ms)} ms ${JSON.stringify(strict.sample.commands)}`,
          );
        }
        if (ONE) {
          // The same site with its databases as one resource: one Create, one Read, one Diff for them all.
          fs.writeFileSync(statePath, pristine);
          const one = await runProvider({}, (host) => apply(host, regsOne, PARALLEL));
          row("apply, databases as one resource").provider.push(one.sample);
          row("apply, databases as one resource").baseline.push(...row("apply").baseline.slice(-1));
          expect(allPointAtArray(statePath, n)).toBe(true);
          const set = one.result.find((r) => r.reg.type.endsWith(":MailboxDatabaseRpcSettings"));
          const entries = (set?.outputs.settings ?? []) as { rpcClientAccessServer: string }[];
          expect(entries.filter((e) => e.rpcClientAccessServer === SITE.fqdn)).toHaveLength(n);
          if (run === 1 && set !== undefined) {
            const sizes = stateBytes.find((b) => b.n === n);
            if (sizes !== undefined)
              sizes.oneResourcePerDatabase = Math.round((bytes(set.outputs) + bytes(set.inputs)) / n);
          }
          log(
            `N=${n} run ${run}: provider apply, databases as one resource ${Math.round(one.sample.ms)} ms ${JSON.stringify(one.sample.commands)}`,
          );
          const oneRefreshed = await runProvider({}, (host) => refresh(host, one.result, PARALLEL));
          row("refresh, databases as one resource").provider.push(oneRefreshed.sample);
          row("refresh, databases as one resource").baseline.push(...row("refresh").baseline.slice(-1));
          row("no-op apply, databases as one resource").provider.push(
            (await runProvider({}, (host) => noop(host, one.result, PARALLEL))).sample,
          );
          row("no-op apply, databases as one resource").baseline.push(...row("no-op apply").baseline.slice(-1));
          log(
            `N=${n} run ${run}: databases as one resource: refresh ${Math.round(oneRefreshed.sample.ms)} ms, no-op ${Math.round(row("no-op apply, databases as one resource").provider.at(-1)?.ms ?? 0)} ms`,
          );
        }
        if (STRICT === "all") {
          fs.writeFileSync(statePath, pristine);
          const strict = await runProvider(strictEnv, (host) => apply(host, regs, PARALLEL));
          expect(allPointAtArray(statePath, n)).toBe(true);
          row("apply (strict reads)").provider.push(strict.sample);
          row("apply (strict reads)").baseline.push(...row("apply").baseline.slice(-1));
          log(
            `N=${n} run ${run}: provider apply, strict reads ${Math.round(strict.sample.ms)} ms ${JSON.stringify(strict.sample.commands)}`,
          );
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

const s = (ms: number) => (ms / 1000).toFixed(2);

function commandsText(sample: Sample | undefined): string {
  if (sample?.commands === undefined) return "";
  const parts = Object.entries(sample.commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cmdlet, count]) => `${cmdlet.replace(/-/, " ").replace("DnsServerResourceRecord", "DnsRecord")} ${count}`);
  return `${parts.join(", ")} (${sample.roundTrips} round trips)`;
}

function report(): string {
  const lines: string[] = [];
  lines.push("# Benchmark: a CasArraySite of N mailbox databases", "");
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  lines.push(
    `Machine: ${machine(PWSH)}. Load average (1 / 5 / 15 min) at the start ${load(LOAD_AT_START)}, at the end ${load(os.loadavg())}: on an idle machine both stay near the bench's own (about 1-2 on 2 CPUs).`,
    "",
  );
  lines.push(
    `Lab latency: session open ${LATENCY.SessionOpenMs} ms, ${LATENCY.ExchangeCommandMs} ms per Exchange command, ${LATENCY.DnsCommandMs} ms per DNS command (charged once per cmdlet invocation). ` +
      `Engine parallelism: ${PARALLEL} resources in flight (4 x ${os.availableParallelism()} CPUs). ` +
      `Medians over ${RUNS} runs (${LARGE_RUNS} at N >= 500, ${HUGE_RUNS} at N >= 2,000). Provider time runs from the first RPC to the last answer on a freshly started host (its own start is the last column); baseline time is one pwsh from start to exit.`,
    "",
  );
  lines.push(
    "| N | workload | provider s | baseline s | ratio | per-run ratios | pwsh started (provider / baseline) | peak RSS MB, host+pwsh / baseline pwsh | provider commands (median run) | host start s |",
    "|---:|---|---:|---:|---:|---|---|---|---|---:|",
  );
  for (const r of rows) {
    const p = median(r.provider.map((x) => x.ms));
    const b = median(r.baseline.map((x) => x.ms));
    const ratios = r.provider.map((x, i) => (r.baseline[i] ? (x.ms / r.baseline[i].ms).toFixed(2) : "?"));
    const mid = [...r.provider].sort((a, c) => a.ms - c.ms)[Math.floor(r.provider.length / 2)];
    lines.push(
      `| ${r.n} | ${r.workload} | ${s(p)} | ${s(b)} | **${(p / b).toFixed(2)}** | ${ratios.join(", ")} | ${Math.max(...r.provider.map((x) => x.pwshStarted))} / ${Math.max(...r.baseline.map((x) => x.pwshStarted))} | ${Math.max(...r.provider.map((x) => x.peakRssMb))} / ${Math.max(...r.baseline.map((x) => x.peakRssMb))} | ${commandsText(mid)} | ${s(median(r.provider.map((x) => x.hostStartMs ?? 0)))} |`,
    );
  }
  lines.push(
    "",
    "Refresh with the engine boundary apart (*boundary* = the same Reads, same bytes, through the same host and harness, answered by a provider that runs nothing; *provider's own* = refresh minus boundary, the time the provider adds beyond what any dynamic provider pays for N Reads):",
    "",
  );
  lines.push(
    "| N | refresh s | boundary s | provider's own s | baseline s | ratio | ratio, provider's own |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of rows.filter((x) => x.workload === "refresh")) {
    const floor = rows.find((x) => x.n === r.n && x.workload === "refresh: engine boundary only");
    if (floor === undefined) continue;
    const p = median(r.provider.map((x) => x.ms));
    const f = median(floor.provider.map((x) => x.ms));
    const b = median(r.baseline.map((x) => x.ms));
    lines.push(
      `| ${r.n} | ${s(p)} | ${s(f)} | ${s(p - f)} | ${s(b)} | ${(p / b).toFixed(2)} | ${((p - f) / b).toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    "Per database (the session open, 2 s, spread over more databases as N grows; a lab whose cost per command grew with its size would show here; *vs N = 500*: this N's time per database over N = 500's, provider / baseline):",
    "",
  );
  lines.push(
    "| N | apply s / database, provider | apply s / database, baseline | vs N = 500 | refresh ms / database, provider | refresh ms / database, baseline | vs N = 500 | provider commands / database | provider round trips to pwsh / database |",
    "|---:|---:|---:|---|---:|---:|---|---:|---:|",
  );
  const perDb = (n: number, workload: Workload, side: "provider" | "baseline") => {
    const r = rows.find((x) => x.n === n && x.workload === workload);
    return r === undefined ? NaN : median(r[side].map((x) => x.ms)) / n;
  };
  const versus = (n: number, workload: Workload) =>
    rows.some((x) => x.n === 500 && x.workload === workload)
      ? `${(perDb(n, workload, "provider") / perDb(500, workload, "provider")).toFixed(2)} / ${(perDb(n, workload, "baseline") / perDb(500, workload, "baseline")).toFixed(2)}`
      : "";
  for (const r of rows.filter((x) => x.workload === "apply")) {
    const mid = [...r.provider].sort((a, c) => a.ms - c.ms)[Math.floor(r.provider.length / 2)];
    const commands = Object.values(mid?.commands ?? {}).reduce((a, c) => a + c, 0);
    lines.push(
      `| ${r.n} | ${(perDb(r.n, "apply", "provider") / 1000).toFixed(3)} | ${(perDb(r.n, "apply", "baseline") / 1000).toFixed(3)} | ${versus(r.n, "apply")} | ${perDb(r.n, "refresh", "provider").toFixed(2)} | ${perDb(r.n, "refresh", "baseline").toFixed(2)} | ${versus(r.n, "refresh")} | ${(commands / r.n).toFixed(2)} | ${((mid?.roundTrips ?? 0) / r.n).toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    "CPU time (seconds; less sensitive to other load on the machine than the times above: on an idle machine a run takes about the lab's sleeps, session opens and command latencies, plus the CPU time on its critical path). Provider: the host and its pwsh; engine harness: this process's gRPC client, which the real engine replaces; baseline: its pwsh:",
    "",
  );
  lines.push("| N | workload | provider CPU s | engine harness CPU s | baseline CPU s |", "|---:|---|---:|---:|---:|");
  for (const r of rows) {
    lines.push(
      `| ${r.n} | ${r.workload} | ${s(median(r.provider.map((x) => x.cpuMs)))} | ${s(median(r.provider.map((x) => x.harnessCpuMs ?? 0)))} | ${s(median(r.baseline.map((x) => x.cpuMs)))} |`,
    );
  }
  lines.push(
    "",
    "The preview's site plan (the program's planSite on a warm session; with every database changing, the mailboxes of the site's servers are counted with Get-Mailbox -ResultSize Unlimited, 3 per database; with none changing, nothing is counted):",
    "",
  );
  lines.push(
    "| N | mailboxes | plan s, every database changing | plan s, none changing | added by the count s |",
    "|---:|---:|---:|---:|---:|",
  );
  for (const c of planCost) {
    const a = median(c.changing);
    const b = median(c.unchanged);
    lines.push(`| ${c.n} | ${3 * c.n} | ${s(a)} | ${s(b)} | ${s(a - b)} |`);
  }
  lines.push(
    "",
    "State size (bytes of JSON as the engine stores them; every resource's inputs and outputs each carry the `__provider` text; *as one resource*: the MailboxDatabaseRpcSettings' inputs and outputs over N):",
    "",
  );
  lines.push(
    "| N | `__provider` | setting outputs (mean) | setting inputs (mean) | per database in state (inputs + outputs) | per database, as one resource | array outputs | record outputs |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const b of stateBytes) {
    lines.push(
      `| ${b.n} | ${b.provider} | ${b.settingOutputs} | ${b.settingInputs} | ${b.settingOutputs + b.settingInputs} | ${b.oneResourcePerDatabase ?? ""} | ${b.arrayOutputs} | ${b.recordOutputs} |`,
    );
  }
  lines.push("", "Method, knobs and the read trade-off: bench/README.md.");
  return lines.join("\n") + "\n";
}

describe("CasArraySite at scale", () => {
  for (const n of SIZES) benchSize(n);

  it("reports", () => {
    const text = report();
    process.stdout.write(`\n${text}\n`);
    fs.writeFileSync(path.join(ROOT, "bench", "results.md"), text);
  });
});
