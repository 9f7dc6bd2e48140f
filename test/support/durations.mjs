// Writes test/support/durations.json (the order LongestFirst in vitest.config.mts falls back on)
// from the last run's .test-results/timings.json: each passed file's wall time, as `project|file` → ms.
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const timings = JSON.parse(fs.readFileSync(path.join(root, ".test-results", "timings.json"), "utf8"));
const durations = Object.fromEntries(
  timings.files
    .filter((f) => f.state === "passed")
    .sort((a, b) => b.wallMs - a.wallMs)
    .map((f) => [`${f.project}|${f.file}`, f.wallMs]),
);
fs.writeFileSync(path.join(root, "test", "support", "durations.json"), `${JSON.stringify(durations, null, 2)}\n`);
