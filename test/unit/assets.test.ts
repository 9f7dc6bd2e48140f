// The files of ps/ the provider sends or imports (provider/shell/assets.ts): one finder for the
// sources and the package layout, and one way to fail, whichever part asks (the session's
// wrapper, the modules a session imports, the server scripts).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { psAsset } from "../../provider/shell/assets";

const PS = path.resolve(__dirname, "../../provider/ps");
/** Where a compiled module (provider/dist/shell) finds ps/; from the sources that is the second place tried. */
const COMPILED = path.resolve(__dirname, "../../provider/shell", "../../ps");

/** Every ps/ file the provider sends or imports. */
const ASSETS = [
  "wrapper.ps1",
  "ExcasDns/ExcasDns.psd1",
  "ExcasServer/ExcasServer.psd1",
  "server/StaticRpcPorts.ps1",
  "server/NlbCluster.ps1",
];

async function failure(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The one way a missing file fails (compared field by field: a module loaded afresh has its own ExchangeCasError class). */
function missing(relativePath: string) {
  return {
    name: "ExchangeCasError",
    code: "missing-component",
    message: `exchange-cas is incomplete: ps/${relativePath} is missing from the package.`,
    details: { component: `ps/${relativePath}` },
  };
}

afterEach(() => {
  vi.doUnmock("node:fs");
  vi.doUnmock("node-powershell");
  vi.resetModules();
});

describe("a ps/ file (psAsset)", () => {
  it.each(ASSETS)("finds %s in the sources", (file) => {
    expect(psAsset(file)).toBe(path.join(PS, file));
    expect(fs.existsSync(psAsset(file))).toBe(true);
  });

  it("finds it in the package layout (provider/dist/shell/../../ps) when the first place has none, and reads it once", async () => {
    const compiled = path.join(COMPILED, "server/NlbCluster.ps1");
    const reads: string[] = [];
    vi.resetModules();
    vi.doMock("node:fs", async (importOriginal) => ({
      ...(await importOriginal<typeof import("node:fs")>()),
      existsSync: (p: string) => p === compiled,
      readFileSync: (p: string) => {
        reads.push(p);
        return `script at ${p}`;
      },
    }));
    const assets = await import("../../provider/shell/assets.js");
    expect(assets.psAsset("server/NlbCluster.ps1")).toBe(compiled);
    expect(assets.psAssetText("server/NlbCluster.ps1")).toBe(`script at ${compiled}`);
    expect(assets.psAssetText("server/NlbCluster.ps1")).toBe(`script at ${compiled}`);
    expect(reads).toEqual([compiled]);
  });
});

describe("a package without its ps/ files", () => {
  async function withoutFiles() {
    vi.resetModules();
    vi.doMock("node:fs", async (importOriginal) => ({
      ...(await importOriginal<typeof import("node:fs")>()),
      existsSync: () => false,
    }));
    // A session that started pwsh would get this far: it must fail before.
    const started = vi.fn(function PowerShell() {
      throw new Error("pwsh was started");
    });
    vi.doMock("node-powershell", () => ({ PowerShell: started }));
    return {
      started,
      assets: await import("../../provider/shell/assets.js"),
      bootstrap: await import("../../provider/shell/bootstrap.js"),
      session: await import("../../provider/shell/session.js"),
      rpcPorts: await import("../../provider/windows/rpcPorts.js"),
      nlb: await import("../../provider/windows/nlb.js"),
    };
  }

  it("fails one way for every file, naming it: ExchangeCasError missing-component", async () => {
    const { assets } = await withoutFiles();
    for (const file of ASSETS) expect(await failure(() => assets.psAsset(file))).toMatchObject(missing(file));
  });

  it("fails that way for every part that needs one: the session's wrapper, a session's modules, the server scripts", async () => {
    const { bootstrap, session, rpcPorts, nlb, started } = await withoutFiles();
    const lab = { kind: "lab", statePath: "/s.json", modulePath: "/m.psd1" } as const;
    // Before any pwsh starts: an incomplete package leaves no process behind.
    expect(await failure(() => session.PwshSession.start("/nonexistent/pwsh", 1000))).toMatchObject(
      missing("wrapper.ps1"),
    );
    expect(started).not.toHaveBeenCalled();
    expect(await failure(() => bootstrap.bootstrapScript(lab))).toMatchObject(missing("ExcasDns/ExcasDns.psd1"));
    expect(await failure(() => bootstrap.bootstrapScript({ kind: "winrm", authentication: "Kerberos" }))).toMatchObject(
      missing("ExcasServer/ExcasServer.psd1"),
    );
    expect(await failure(() => rpcPorts.staticRpcPortsScript())).toMatchObject(missing("server/StaticRpcPorts.ps1"));
    expect(await failure(() => nlb.nlbScript())).toMatchObject(missing("server/NlbCluster.ps1"));
  });
});
