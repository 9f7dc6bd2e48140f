// Which PowerShell the provider starts (findPwsh): EXCHANGE_CAS_POWERSHELL names one on PATH
// (`powershell.exe`, Windows PowerShell 5.1) or gives its path; a missing one is one sentence;
// EXCHANGE_CAS_PWSH (a path, the test tools' hook) still wins; unset, pwsh on PATH. The last test
// starts a real session through a chosen executable (a shim that records it ran, then runs pwsh).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { findPwsh, sessions } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";
import { pwshPath } from "../support/paths";

let dir: string;
let bin: string;

/** An executable file named `name` in `folder`. */
function fake(folder: string, name: string, body = "#!/bin/sh\nexit 0\n"): string {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-shell-"));
  bin = path.join(dir, "bin");
  fake(bin, "powershell.exe");
  fake(bin, "pwsh");
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("findPwsh", () => {
  it("EXCHANGE_CAS_POWERSHELL=powershell.exe: the powershell.exe on PATH, not pwsh", () => {
    expect(findPwsh({ PATH: bin, EXCHANGE_CAS_POWERSHELL: "powershell.exe" }, "linux")).toBe(
      path.join(bin, "powershell.exe"),
    );
  });

  it("on Windows a name without extension gets .exe (EXCHANGE_CAS_POWERSHELL=powershell)", () => {
    expect(findPwsh({ PATH: bin, EXCHANGE_CAS_POWERSHELL: "powershell" }, "win32")).toBe(
      path.join(bin, "powershell.exe"),
    );
  });

  it("EXCHANGE_CAS_POWERSHELL as a path: that file", () => {
    const elsewhere = fake(path.join(dir, "v1.0"), "powershell.exe");
    expect(findPwsh({ PATH: bin, EXCHANGE_CAS_POWERSHELL: elsewhere }, "linux")).toBe(elsewhere);
  });

  it("a named executable that is not on PATH is one sentence naming it and the variable", () => {
    expect(() =>
      findPwsh({ PATH: path.join(dir, "empty"), EXCHANGE_CAS_POWERSHELL: "powershell.exe" }, "linux"),
    ).toThrow(
      /^EXCHANGE_CAS_POWERSHELL names powershell\.exe, which was not found on PATH; install it, give its full path, or unset EXCHANGE_CAS_POWERSHELL to use pwsh\.$/,
    );
  });

  it("a path that does not exist is one sentence naming it", () => {
    expect(() => findPwsh({ PATH: bin, EXCHANGE_CAS_POWERSHELL: "/no/such/powershell.exe" }, "linux")).toThrow(
      /^EXCHANGE_CAS_POWERSHELL points at \/no\/such\/powershell\.exe, which does not exist; fix the path or unset it\.$/,
    );
  });

  it("EXCHANGE_CAS_PWSH still takes precedence over EXCHANGE_CAS_POWERSHELL", () => {
    const hook = fake(path.join(dir, "hook"), "pwsh");
    expect(findPwsh({ PATH: bin, EXCHANGE_CAS_PWSH: hook, EXCHANGE_CAS_POWERSHELL: "powershell.exe" }, "linux")).toBe(
      hook,
    );
  });

  it("unset (or blank): pwsh on PATH", () => {
    expect(findPwsh({ PATH: bin }, "linux")).toBe(path.join(bin, "pwsh"));
    expect(findPwsh({ PATH: bin, EXCHANGE_CAS_POWERSHELL: "  " }, "linux")).toBe(path.join(bin, "pwsh"));
  });
});

describe("a session through the chosen executable", () => {
  it("starts the executable EXCHANGE_CAS_POWERSHELL names (found on PATH) and runs commands in it", async ({
    connection,
    onTestFinished,
  }) => {
    // The connection's session must start here, through the shim: none is open before it (closed
    // if one were), and it is closed after the test, when the environment is put back.
    await sessions().closeAll();
    const saved = {
      PATH: process.env.PATH,
      POWERSHELL: process.env.EXCHANGE_CAS_POWERSHELL,
      PWSH: process.env.EXCHANGE_CAS_PWSH,
    };
    onTestFinished(async () => {
      await sessions().closeAll();
      process.env.PATH = saved.PATH;
      if (saved.POWERSHELL === undefined) delete process.env.EXCHANGE_CAS_POWERSHELL;
      else process.env.EXCHANGE_CAS_POWERSHELL = saved.POWERSHELL;
      if (saved.PWSH !== undefined) process.env.EXCHANGE_CAS_PWSH = saved.PWSH;
    });
    const marker = path.join(dir, "started");
    const shimDir = path.join(dir, "shim");
    fake(shimDir, "powershell.exe", `#!/bin/sh\necho started >> '${marker}'\nexec '${pwshPath()}' "$@"\n`);
    delete process.env.EXCHANGE_CAS_PWSH;
    process.env.PATH = `${shimDir}${path.delimiter}${saved.PATH ?? ""}`;
    process.env.EXCHANGE_CAS_POWERSHELL = "powershell.exe";
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-ExchangeServer",
      target: "",
      script: "Get-ExchangeServer",
      select: ["Name"],
    });
    expect(envelope.ok).toBe(true);
    expect(envelope.data.length).toBeGreaterThan(0);
    expect(fs.readFileSync(marker, "utf8")).toBe("started\n");
  });
});
