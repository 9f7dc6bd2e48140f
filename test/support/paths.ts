// Where things are, for every test: the project root, the lab module and its scenario, and pwsh
// (found the way the provider finds it, so the tests start the PowerShell the provider would).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findPwsh } from "../../provider/shell/session";

/** The project root (this checkout). */
export const ROOT = path.resolve(__dirname, "../..");

/** The lab's manifest, as a connection's modulePath names it. */
export const LAB_MODULE = path.join(ROOT, "lab", "ExchangeLab.psd1");

/** The article's organisation: every lab starts as a copy of it. */
export const SCENARIO = path.join(ROOT, "lab", "scenarios", "article.json");

/**
 * pwsh, as the provider finds it (EXCHANGE_CAS_PWSH, EXCHANGE_CAS_POWERSHELL, then PATH), with the
 * dotnet global-tools folder that scripts/setup installs it into on PATH. Throws, so a test fails
 * and never skips, when there is none.
 */
export function pwshPath(): string {
  const tools = path.join(os.homedir(), ".dotnet", "tools");
  const env = { ...process.env, PATH: [process.env.PATH ?? "", tools].filter((p) => p !== "").join(path.delimiter) };
  const found = findPwsh(env);
  if (!fs.existsSync(found))
    throw new Error(`pwsh not found at ${found}; run scripts/setup (the tests need PowerShell 7).`);
  return found;
}
