// Which Pulumi CLI `npm run up` runs (scripts/pulumi-cli.mts), with the PATH lookup, the project
// folder and the installer replaced: no network, no CLI needed.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CliSeams } from "../../scripts/pulumi-cli.mjs" with { "resolution-mode": "import" };

let cli: typeof import("../../scripts/pulumi-cli.mjs", { with: { "resolution-mode": "import" } });
beforeAll(async () => {
  // An ES module (scripts/up runs it with Node's own type stripping); this file is CommonJS.
  cli = await import("../../scripts/pulumi-cli.mjs");
});
const REPO = path.resolve(__dirname, "../..");

const ROOT = "/work/project";
const PROJECT_BINARY = path.join(ROOT, ".pulumi-cli", "bin", "pulumi");

function seams(
  over: Partial<CliSeams> & { installed?: string[] } = {},
): CliSeams & { calls: [string, string][]; said: string[] } {
  const calls: [string, string][] = [];
  const said: string[] = [];
  const files = new Set(over.installed ?? []);
  return {
    calls,
    said,
    findOnPath: over.findOnPath ?? (() => undefined),
    isExecutable: over.isExecutable ?? ((file) => files.has(file)),
    install:
      over.install ??
      (async (root, version) => {
        calls.push([root, version]);
        files.add(path.join(root, "bin", "pulumi"));
      }),
    say: (line) => said.push(line),
  };
}

describe("the Pulumi CLI npm run up runs", () => {
  it("is the one on PATH when there is one, and nothing is installed", async () => {
    const s = seams({ findOnPath: () => "/usr/local/bin/pulumi", installed: [PROJECT_BINARY] });
    expect(await cli.resolvePulumiCli(ROOT, "3.270.0", s)).toEqual({
      ok: true,
      pulumi: "/usr/local/bin/pulumi",
      source: "path",
    });
    expect(s.calls).toEqual([]);
  });

  it("is the one already installed in the project folder when none is on PATH", async () => {
    const s = seams({ installed: [PROJECT_BINARY] });
    expect(await cli.resolvePulumiCli(ROOT, "3.270.0", s)).toEqual({
      ok: true,
      pulumi: PROJECT_BINARY,
      source: "project",
    });
    expect(s.calls).toEqual([]);
  });

  it("is installed into the project folder, in the SDK's version, when there is none", async () => {
    const s = seams();
    expect(await cli.resolvePulumiCli(ROOT, "3.270.0", s)).toEqual({
      ok: true,
      pulumi: PROJECT_BINARY,
      source: "installed",
    });
    expect(s.calls).toEqual([[path.join(ROOT, ".pulumi-cli"), "3.270.0"]]);
    expect(s.said).toEqual([
      "up: no Pulumi CLI on PATH; installing v3.270.0 (the SDK's version) into .pulumi-cli/ with Pulumi's install script",
    ]);
  });

  it("asks for the version of the @pulumi/pulumi package the project has installed", () => {
    const sdk = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as {
      version: string;
    };
    expect(cli.sdkVersion(REPO)).toBe(sdk.version);
  });

  it("when the download fails, says so in one sentence: the version, how to install it by hand, that the tests need no CLI", async () => {
    const s = seams({
      install: async () => {
        throw new Error("Failed to download https://get.pulumi.com/install.sh: fetch failed");
      },
    });
    const result = await cli.resolvePulumiCli(ROOT, "3.270.0", s);
    expect(result).toEqual({
      ok: false,
      message:
        "The Pulumi CLI is not on PATH and v3.270.0 could not be installed into .pulumi-cli/ (Failed to download https://get.pulumi.com/install.sh: fetch failed): " +
        "install it by hand (https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL https://get.pulumi.com | sh -s -- --version 3.270.0`) " +
        "and run this again; the tests need no CLI (`bash scripts/test`).",
    });
  });

  it("gives up on an installer that never finishes", async () => {
    const s = seams({ install: () => new Promise<void>(() => undefined) });
    const result = await cli.resolvePulumiCli(ROOT, "3.270.0", s, 20);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ message: expect.stringContaining("(the installer did not finish within 0 s)") });
  });

  it("fails when the installer reports success but left no binary", async () => {
    const s = seams({ install: async () => undefined });
    expect(await cli.resolvePulumiCli(ROOT, "3.270.0", s)).toMatchObject({
      ok: false,
      message: expect.stringContaining("left no .pulumi-cli/bin/pulumi"),
    });
  });
});

describe("node scripts/pulumi-cli.mts (what scripts/up runs), no network needed", () => {
  /** Runs the script in a scratch project (node_modules linked) with `PATH`; returns its exit and output. */
  function run(prepare: (project: string) => string) {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "excas-cli-"));
    try {
      fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
      fs.writeFileSync(path.join(project, "package.json"), "{}");
      const extraPath = prepare(project);
      const r = spawnSync(path.join(REPO, "node_modules/.bin/node"), [path.join(REPO, "scripts/pulumi-cli.mts")], {
        cwd: project,
        env: { PATH: [extraPath, "/usr/bin", "/bin"].filter(Boolean).join(path.delimiter), HOME: project },
        encoding: "utf8",
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, project };
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }

  function fakeCli(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "#!/bin/sh\necho v3.270.0\n", { mode: 0o755 });
  }

  it("prints the pulumi found on PATH", () => {
    let expected = "";
    const r = run((project) => {
      expected = path.join(project, "tools", "pulumi");
      fakeCli(expected);
      return path.dirname(expected);
    });
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ status: 0, stdout: `${expected}\n` });
  });

  it("prints the project's .pulumi-cli/bin/pulumi when none is on PATH", () => {
    const r = run((project) => {
      fakeCli(path.join(project, ".pulumi-cli", "bin", "pulumi"));
      return "";
    });
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ status: 0, stdout: `${path.join(r.project, ".pulumi-cli", "bin", "pulumi")}\n` });
  });
});
