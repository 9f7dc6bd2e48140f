// A stand-in for the community module PSWSMan 3 (as the gallery installs it), whose Enable-PSWSMan
// only notes that it ran. With it on PSModulePath the provider's WSMan check lets a session that
// speaks WSMan through, and its New-PSSession then fails as on any pwsh on Linux (no WSMan client):
// the way the tests reach the steps after the check (a credential handed to the bootstrap).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface PswsmanStandIn {
  /** PSModulePath with the stand-in first. */
  modulePath: string;
  /** Whether Enable-PSWSMan was called (with -Force). */
  enabled(): boolean;
  remove(): void;
}

export function pswsmanStandIn(): PswsmanStandIn {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-pswsman-"));
  const moduleDir = path.join(dir, "PSWSMan", "3.0.0");
  fs.mkdirSync(moduleDir, { recursive: true });
  const marker = path.join(dir, "enabled");
  fs.writeFileSync(
    path.join(moduleDir, "PSWSMan.psm1"),
    `function Enable-PSWSMan { [CmdletBinding()] param([switch]$Force) Set-Content -LiteralPath '${marker}' -Value $Force }\n`,
  );
  fs.writeFileSync(
    path.join(moduleDir, "PSWSMan.psd1"),
    "@{ RootModule = 'PSWSMan.psm1'; ModuleVersion = '3.0.0'; GUID = '92ec96bf-3ff4-41b2-8694-cd3ee636d3fd'; FunctionsToExport = @('Enable-PSWSMan') }\n",
  );
  return {
    modulePath: [dir, process.env.PSModulePath ?? ""].join(path.delimiter),
    enabled: () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === "True",
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
