// psQuote's literals read back by real pwsh: every hostile string arrives as exactly that data and
// runs nothing. (The literal text psQuote builds is tested without pwsh in test/unit/quote.test.ts.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { psQuote } from "../../provider/shell/quote";
import { hostileStrings } from "../support/hostile";
import { pwshPath } from "../support/paths";

function runPwsh(script: string): string {
  const r = spawnSync(pwshPath(), ["-NoProfile", "-NonInteractive", "-Command", "-"], {
    input: script,
    encoding: "utf8",
    env: { ...process.env, TERM: "dumb" },
  });
  if (r.status !== 0) throw new Error(`pwsh failed: ${r.stderr}`);
  return r.stdout;
}

describe("psQuote in real pwsh", () => {
  it("round-trips every hostile string through real pwsh as data, and no canary is ever created", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-quote-"));
    try {
      const canary = path.join(dir, "canary");
      const corpus = hostileStrings(canary);
      expect(corpus.length).toBeGreaterThanOrEqual(50);
      // Each literal is decoded inside pwsh and re-encoded as base64 UTF-8, so the comparison is exact.
      const script = [
        "$ErrorActionPreference = 'Stop'",
        `$values = @(${corpus.map((s) => psQuote(s)).join(",\n")})`,
        "foreach ($v in $values) { [Console]::Out.WriteLine('B64:' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$v))) }",
      ].join("\n");
      // Sent as one file so the newlines inside literals are part of the script, not of stdin lines.
      const file = path.join(dir, "roundtrip.ps1");
      fs.writeFileSync(file, script, "utf8");
      const out = runPwsh(`. ${psQuote(file)}`)
        .split(/\r?\n/)
        .filter((l) => l.startsWith("B64:"));
      const decoded = out.map((b) => Buffer.from(b.slice(4), "base64").toString("utf8"));
      expect(decoded).toEqual(corpus);
      expect(fs.existsSync(canary)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
