// The publishable package: `npm pack` of provider/ gives a tarball that installs into an empty
// folder and imports, with its PowerShell modules and the runtime entry. The pack here skips the
// package's prepack (which builds dist/ with tsc, as `bash scripts/setup` already did): rebuilding
// dist/ while other test files load it could hand them a half-written file. (Not in the ssh
// project: over SSH it would pack the same files again.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/host";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "excas-pack-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
  });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

describe("npm pack of provider/", () => {
  it("holds dist, the PowerShell modules and the README, and installs and imports in an empty folder", () => {
    const packed = JSON.parse(
      run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], path.join(ROOT, "provider")),
    ) as { filename: string; files: { path: string }[] }[];
    const entry = packed[0];
    if (entry === undefined) throw new Error("npm pack printed no package");
    const files = entry.files.map((f) => f.path).sort();
    for (const file of [
      "README.md",
      "package.json",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/runtime/index.js",
      "ps/wrapper.ps1",
      "ps/server/StaticRpcPorts.ps1",
      "ps/server/NlbCluster.ps1",
      "ps/ExcasDns/ExcasDns.psd1",
      "ps/ExcasServer/ExcasServer.psd1",
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual([]);

    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(work, entry.filename)], app);
    const probe = [
      "const cas = require('exchange-cas');",
      "const runtime = require('exchange-cas/runtime');",
      "const fs = require('node:fs'); const path = require('node:path');",
      "const root = path.dirname(require.resolve('exchange-cas/package.json'));",
      "console.log(JSON.stringify({ exports: Object.keys(cas).sort(), kinds: Object.keys(runtime.resources).sort(), script: fs.existsSync(path.join(root, 'ps/server/StaticRpcPorts.ps1')) }));",
    ].join(" ");
    const out = JSON.parse(run(process.execPath, ["-e", probe], app)) as {
      exports: string[];
      kinds: string[];
      script: boolean;
    };
    expect(out.exports).toEqual(
      expect.arrayContaining([
        "CasArraySite",
        "ClientAccessArray",
        "DnsARecord",
        "MailboxDatabaseRpcSetting",
        "MailboxDatabaseRpcSettings",
        "StaticRpcPorts",
        "CasArrayVerification",
        "NlbCluster",
        "labConnection",
        "winrmConnection",
      ]),
    );
    expect(out.kinds).toEqual([
      "casArrayVerification",
      "clientAccessArray",
      "dnsARecord",
      "mailboxDatabaseRpcSetting",
      "mailboxDatabaseRpcSettings",
      "nlbCluster",
      "siteClaim",
      "staticRpcPorts",
    ]);
    expect(out.script).toBe(true);
  });

  it("builds dist/ before it packs (prepack)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "provider/package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    expect(pkg.scripts?.prepack).toBe("tsc -p ../tsconfig.build.json");
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8"))).toMatchObject({
      compilerOptions: { outDir: "provider/dist" },
    });
  });
});
