// State that survives a new checkout: the example program keeps the lab's paths relative to the
// project root in its inputs, and the provider resolves them against the root it runs in. The
// headoffice stack is applied from one checkout; the project is then moved (a copy at another
// path, with its .lab/, the first one deleted) and every resource, refreshed and diffed by a host
// started there, is unchanged. Its hosts are its own (started in each checkout), so it takes none
// of the file fixtures; only the program's sessions are closed after the file, as everywhere.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect } from "vitest";
import { applyAll, refresh, resourceType, up, type Applied } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { Host, ROOT } from "../support/host";

const nodeRequire = createRequire(path.join(ROOT, "package.json"));
const yaml = createRequire(nodeRequire.resolve("@pulumi/pulumi/package.json"))("js-yaml") as {
  load(text: string): unknown;
};

const scratch: string[] = [];
const hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A checkout of the project at a new path: what the program and the host need, and a lab. */
function checkout(labState: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-checkout-"));
  scratch.push(dir);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  for (const entry of ["lab", "examples/dist", "Pulumi.yaml", "Pulumi.headoffice.yaml", "package.json"]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.mkdirSync(path.join(dir, ".lab"));
  fs.copyFileSync(labState, path.join(dir, ".lab/state.json"));
  return dir;
}

/**
 * The headoffice stack's program, run from checkout `dir` with its config file as is. The program
 * reads the lab too (the site's databases): its root is `dir`, as the language host tells it
 * (PULUMI_NODEJS_ROOT_DIRECTORY, set by `pulumi up` for the program's process).
 */
async function runProgram(dir: string): Promise<Registration[]> {
  const file = yaml.load(fs.readFileSync(path.join(dir, "Pulumi.headoffice.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config))
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  process.env.PULUMI_NODEJS_ROOT_DIRECTORY = dir;
  try {
    return await register(async (_lib, pulumi) => {
      pulumi.runtime.setAllConfig(config);
      const program = path.join(dir, "examples/dist/index.js");
      const outputs = nodeRequire(program) as Record<string, { apply(f: (v: unknown) => void): unknown }>;
      await Promise.all(Object.values(outputs).map((o) => new Promise<void>((resolve) => o.apply(() => resolve()))));
      return [];
    });
  } finally {
    delete process.env.PULUMI_NODEJS_ROOT_DIRECTORY;
  }
}

async function startHost(cwd: string): Promise<Host> {
  const host = await Host.start({}, cwd);
  hosts.push(host);
  await host.configure();
  return host;
}

describe("a second checkout of the project at another path", () => {
  it("registers the same inputs and previews every resource of the applied stack as no change", async () => {
    const first = checkout(path.join(ROOT, "lab/scenarios/article.json"));
    const regs = await runProgram(first);
    // The site's claim, record, array and three database settings; the claim also keeps the DNS connection.
    const connections = [
      ...regs.map((r) => r.inputs.connection),
      ...regs.filter((r) => resourceType(r) === "CasArraySiteClaim").map((r) => r.inputs.dnsConnection),
    ];
    expect(connections).toHaveLength(7);
    for (const connection of connections)
      expect(connection).toEqual({ kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" });

    const state = new Map<string, Applied>();
    const outcome = await applyAll(await startHost(first), regs, state);
    expect(outcome.failed).toEqual([]);
    expect(outcome.created).toEqual([
      "headoffice-array",
      "headoffice-claim",
      "headoffice-dns",
      "headoffice-mb-ho-01",
      "headoffice-mb-ho-02",
      "headoffice-mb-ho-03",
    ]);
    // The apply wrote the first checkout's lab, not the repository's.
    expect(fs.readFileSync(path.join(first, ".lab/state.json"), "utf8")).toContain("cas-headoffice");

    // Move the project: a copy elsewhere with the lab as it now is; the first checkout is gone.
    const second = checkout(path.join(first, ".lab/state.json"));
    fs.rmSync(first, { recursive: true, force: true });
    const again = await runProgram(second);
    // The same resources with the same connection inputs. (The array's `restore` list differs by
    // design: the first run registers the values the databases had; later runs find them on the
    // array already, and Check keeps the recorded list, which the Diff below proves.)
    const withoutRestore = (list: typeof regs) => list.map((r) => [r.name, { ...r.inputs, restore: undefined }]);
    expect(withoutRestore(again)).toEqual(withoutRestore(regs));

    const host = await startHost(second);
    for (const reg of again) {
      const applied = state.get(reg.name);
      expect(applied, reg.name).toBeDefined();
      const read = await refresh(host, applied as Applied);
      expect(read, `${resourceType(reg)} ${reg.name} is read from the moved lab`).toBeDefined();
      const { changed } = await up(host, read as Applied, reg);
      expect(changed, `${resourceType(reg)} ${reg.name}`).toBe(false);
    }
  });
});
