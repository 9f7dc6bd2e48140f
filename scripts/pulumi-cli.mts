// Which Pulumi CLI `npm run up` runs: `pulumi` on PATH; else the one this project installed
// before (.pulumi-cli/bin/pulumi, ignored by git); else the version that matches the installed
// @pulumi/pulumi SDK, installed there by the SDK's own installer (PulumiCommand.install, which runs
// Pulumi's install script). Run by scripts/up as `node scripts/pulumi-cli.mts`: prints the
// executable's path on stdout; when it cannot be had, one sentence on stderr and exit code 1.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import semver from "semver";

/** The project folder the CLI is installed into (relative to the project root). */
export const INSTALL_DIR = ".pulumi-cli";
/** How long the installer may take (download of the script, then of the CLI) before we give up. */
export const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

export interface CliSeams {
  /** The `pulumi` executable on PATH, if there is one. */
  findOnPath(): string | undefined;
  /** Whether `file` is an executable file. */
  isExecutable(file: string): boolean;
  /** Installs CLI `version` under `root` (PulumiCommand.install's root: the binary lands in root/bin/). */
  install(root: string, version: string): Promise<void>;
  /** Progress for the person waiting (stderr). */
  say(line: string): void;
}

export type CliResult =
  { ok: true; pulumi: string; source: "path" | "project" | "installed" } | { ok: false; message: string };

/** The binary of an installation rooted at `root`, where PulumiCommand.install puts it. */
export function cliBinary(root: string): string {
  return path.join(root, "bin", process.platform === "win32" ? "pulumi.exe" : "pulumi");
}

/** The one sentence shown when the CLI is missing and could not be installed. */
export function installFailedMessage(version: string, reason: string): string {
  const why = reason.replace(/\s+/g, " ").trim().replace(/\.$/, "").slice(0, 300);
  return (
    `The Pulumi CLI is not on PATH and v${version} could not be installed into ${INSTALL_DIR}/ (${why}): ` +
    `install it by hand (https://www.pulumi.com/docs/iac/download-install/, e.g. ` +
    `\`curl -fsSL https://get.pulumi.com | sh -s -- --version ${version}\`) and run this again; ` +
    `the tests need no CLI (\`bash scripts/test\`).`
  );
}

/** Decides which CLI to run; installs `version` into the project folder when there is none. */
export async function resolvePulumiCli(
  projectRoot: string,
  version: string,
  seams: CliSeams,
  timeoutMs: number = INSTALL_TIMEOUT_MS,
): Promise<CliResult> {
  const onPath = seams.findOnPath();
  if (onPath !== undefined) return { ok: true, pulumi: onPath, source: "path" };
  const root = path.join(projectRoot, INSTALL_DIR);
  const binary = cliBinary(root);
  if (seams.isExecutable(binary)) return { ok: true, pulumi: binary, source: "project" };
  seams.say(
    `up: no Pulumi CLI on PATH; installing v${version} (the SDK's version) into ${INSTALL_DIR}/ with Pulumi's install script`,
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the installer did not finish within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([seams.install(root, version), timedOut]);
  } catch (error) {
    return {
      ok: false,
      message: installFailedMessage(version, error instanceof Error ? error.message : String(error)),
    };
  } finally {
    clearTimeout(timer);
  }
  if (!seams.isExecutable(binary)) {
    return {
      ok: false,
      message: installFailedMessage(
        version,
        `the installer finished but left no ${path.relative(projectRoot, binary)}`,
      ),
    };
  }
  return { ok: true, pulumi: binary, source: "installed" };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The real seams: PATH, the file system, and the SDK's installer. */
export function realSeams(env: NodeJS.ProcessEnv = process.env): CliSeams {
  return {
    findOnPath() {
      const name = process.platform === "win32" ? "pulumi.exe" : "pulumi";
      for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, name);
        if (isExecutable(candidate)) return candidate;
      }
      return undefined;
    },
    isExecutable,
    async install(root, version) {
      await PulumiCommand.install({ root, version: new semver.SemVer(version) });
    },
    say(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}

/** The version of the @pulumi/pulumi package installed in the project. */
export function sdkVersion(projectRoot: string): string {
  const projectRequire = createRequire(path.join(projectRoot, "package.json"));
  return (projectRequire("@pulumi/pulumi/package.json") as { version: string }).version;
}

export async function main(projectRoot: string = process.cwd()): Promise<number> {
  const result = await resolvePulumiCli(projectRoot, sdkVersion(projectRoot), realSeams());
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    return 1;
  }
  process.stdout.write(`${result.pulumi}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // process.exit, not exitCode: a timed-out installer's child must not keep this process alive.
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
