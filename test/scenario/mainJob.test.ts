// The main job on a fresh clone, as the README walks it: `npm run up -- headoffice` builds only
// what changed and creates the lab before it looks for the Pulumi CLI; `npm run lab -- '...'`
// prints plain text when piped; the README's walk and Pulumi.headoffice-vip.yaml use one VIP.
// Each runs the real script in a scratch copy of the parts it needs, so this checkout's lab,
// state and dist/ are never touched.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pwshPath, ROOT } from "../support/paths";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A scratch project with these files copied from this checkout and node_modules linked. */
function project(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-main-"));
  scratch.push(dir);
  for (const file of files) fs.cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

function run(cwd: string, command: string, args: string[], env: Record<string, string | undefined> = process.env) {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TSC = path.join(ROOT, "node_modules", ".bin", "tsc");
const BUILD = ["--build", "--verbose", "tsconfig.build.json"];

describe("the main job on a fresh clone", () => {
  it("builds only what changed: nothing when nothing did, one project when a file did, all of it when dist/ is gone", () => {
    const dir = project(["tsconfig.json", "tsconfig.build.json", "provider"]);
    fs.rmSync(path.join(dir, "provider", "dist"), { recursive: true, force: true });
    expect(run(dir, TSC, BUILD).stdout).toMatch(
      /Project 'tsconfig\.build\.json' is out of date because output file 'provider\/dist\/\.tsbuildinfo' does not exist/,
    );
    expect(fs.existsSync(path.join(dir, "provider", "dist", "index.js"))).toBe(true);
    expect(run(dir, TSC, BUILD).stdout).toMatch(
      /Project 'tsconfig\.build\.json' is up to date because newest input '[^']+' is older than output 'provider\/dist\/\.tsbuildinfo'/,
    );
    fs.appendFileSync(path.join(dir, "provider", "nearest.ts"), "// changed\n");
    expect(run(dir, TSC, BUILD).stdout).toMatch(
      /Project 'tsconfig\.build\.json' is out of date because output 'provider\/dist\/\.tsbuildinfo' is older than input 'provider\/nearest\.ts'/,
    );
    fs.rmSync(path.join(dir, "provider", "dist"), { recursive: true });
    expect(run(dir, TSC, BUILD).stdout).toMatch(/does not exist/);
    expect(fs.existsSync(path.join(dir, "provider", "dist", "index.js"))).toBe(true);
  });

  it("npm run build is that incremental build, of the provider and the example program", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toBe("tsc --build tsconfig.build.json tsconfig.examples.json");
  });

  it("npm run up creates the lab before it looks for the Pulumi CLI, so the lab is there where the CLI cannot be had", () => {
    const dir = project(["scripts/up", "scripts/lab", "lab/scenarios/article.json", "Pulumi.headoffice.yaml"]);
    // Set-up done already; no CLI to be had (what scripts/pulumi-cli.mts says offline).
    fs.writeFileSync(path.join(dir, "scripts", "setup"), "exit 0\n");
    fs.writeFileSync(
      path.join(dir, "scripts", "pulumi-cli.mts"),
      'process.stderr.write("The Pulumi CLI is not on PATH and could not be installed.\\n");\nprocess.exit(1);\n',
    );
    const r = run(dir, "bash", ["scripts/up", "headoffice"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("lab: created .lab/state.json from lab/scenarios/article.json\n");
    expect(r.stderr).toBe("The Pulumi CLI is not on PATH and could not be installed.\n");
    expect(fs.readFileSync(path.join(dir, ".lab", "state.json"), "utf8")).toBe(
      fs.readFileSync(path.join(ROOT, "lab", "scenarios", "article.json"), "utf8"),
    );
  });

  it("npm run lab prints no terminal escape codes when its output is piped, whatever the terminal", () => {
    const dir = project(["scripts/lab", "lab"]);
    const { NO_COLOR: _unset, ...env } = process.env;
    void _unset;
    const pwshDir = path.dirname(pwshPath());
    const r = run(
      dir,
      "bash",
      ["scripts/lab", "Get-MailboxDatabase MB-HO-01 | Format-Table Name,RpcClientAccessServer"],
      {
        ...env,
        TERM: "xterm-256color",
        PATH: `${pwshDir}${path.delimiter}${env.PATH ?? ""}`,
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "Name     RpcClientAccessServer",
      "----     ---------------------",
      "MB-HO-01 HO-EX2010-MB1.exchangeserverpro.net",
    ]);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/\u001b/);
  });

  it("the README's walk and Pulumi.headoffice-vip.yaml move the name to one VIP", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const walk = /pulumi config set --path 'addresses\[0\]' (\S+) --stack headoffice/.exec(readme)?.[1];
    const stack = /exchange-cas:addresses:\s*\n\s*- (\S+)/.exec(
      fs.readFileSync(path.join(ROOT, "Pulumi.headoffice-vip.yaml"), "utf8"),
    )?.[1];
    expect([walk, stack]).toEqual(["10.1.0.100", "10.1.0.100"]);
  });
});
