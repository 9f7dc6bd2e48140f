// Where the suite's time goes: the wall time of every test file (from its start to its end in this
// run, hooks and fixtures included) and of every project, kept in .test-results/timings.json after
// the run (never deleted), and a summary at the end: each project's wall time, the ten slowest
// files, and one closing line any CI reads ("tests: N passed, N failed").
import * as fs from "node:fs";
import * as path from "node:path";
import type { Reporter, TestModule } from "vitest/node" with { "resolution-mode": "import" };

interface FileTiming {
  project: string;
  file: string;
  wallMs: number;
  startedMs: number;
  tests: number;
  failed: number;
  state: string;
}

const OUT_DIR = path.resolve(__dirname, "../../.test-results");

export default class TimingsReporter implements Reporter {
  private readonly runStarted = Date.now();
  private readonly started = new Map<string, number>();
  private readonly files: FileTiming[] = [];

  private key(module: TestModule): string {
    return `${module.project.name}|${module.moduleId}`;
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(this.key(module), Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const end = Date.now();
    const start = this.started.get(this.key(module)) ?? end;
    const tests = [...module.children.allTests()];
    this.files.push({
      project: module.project.name,
      file: path.relative(process.cwd(), module.moduleId),
      wallMs: end - start,
      startedMs: start - this.runStarted,
      tests: tests.filter((t) => t.result().state !== "skipped").length,
      failed: tests.filter((t) => t.result().state === "failed").length,
      state: module.state(),
    });
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const wallMs = Date.now() - this.runStarted;
    const projects: Record<string, { files: number; tests: number; failed: number; wallMs: number }> = {};
    for (const f of this.files) {
      const p = (projects[f.project] ??= { files: 0, tests: 0, failed: 0, wallMs: 0 });
      p.files++;
      p.tests += f.tests;
      p.failed += f.failed;
    }
    for (const [name, p] of Object.entries(projects)) {
      const mine = this.files.filter((f) => f.project === name);
      const first = Math.min(...mine.map((f) => f.startedMs));
      const last = Math.max(...mine.map((f) => f.startedMs + f.wallMs));
      p.wallMs = last - first;
    }
    const sorted = [...this.files].sort((a, b) => b.wallMs - a.wallMs);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(OUT_DIR, "timings.json"),
      JSON.stringify({ finishedAt: new Date().toISOString(), wallMs, projects, files: sorted }, null, 2) + "\n",
    );

    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const lines = ["", "test timings (all of them in .test-results/timings.json):"];
    for (const [name, p] of Object.entries(projects).sort())
      lines.push(`  project ${name}: ${p.files} files, ${p.tests} tests, ${s(p.wallMs)} wall`);
    lines.push("  the ten slowest files:");
    for (const f of sorted.slice(0, 10))
      lines.push(`    ${s(f.wallMs).padStart(8)}  ${f.project.padEnd(5)}  ${f.file} (${f.tests} tests)`);
    const tests = this.files.reduce((n, f) => n + f.tests, 0);
    const failed = this.files.reduce((n, f) => n + f.failed, 0);
    // A file that failed outside its tests (a hook, an import) counts as one failure.
    const brokenFiles = modules.filter(
      (m) => m.state() === "failed" && ![...m.children.allTests()].some((t) => t.result().state === "failed"),
    ).length;
    lines.push(`  vitest: ${s(wallMs)} wall`, `tests: ${tests - failed} passed, ${failed + brokenFiles} failed`);
    process.stdout.write(lines.join("\n") + "\n");
  }
}
