// The files of ps/ the provider sends or imports (the wrapper, the ExcasDns and ExcasServer
// modules, the server scripts), found the same way from the sources (provider/shell) and from the
// package (provider/dist/shell), and missing the same way: one ExchangeCasError naming the file.
import * as fs from "node:fs";
import * as path from "node:path";
import { ExchangeCasError } from "../errors";

/** The message when `relativePath` (under ps/) is not in the package. */
export function missingAssetMessage(relativePath: string): string {
  return `exchange-cas is incomplete: ps/${relativePath} is missing from the package.`;
}

/**
 * The absolute path of `relativePath` under ps/ ("wrapper.ps1", "ExcasDns/ExcasDns.psd1",
 * "server/NlbCluster.ps1"), or ExchangeCasError("missing-component") naming it.
 */
export function psAsset(relativePath: string): string {
  const candidates = [
    path.resolve(__dirname, "../ps", relativePath),
    path.resolve(__dirname, "../../ps", relativePath),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) {
    throw new ExchangeCasError("missing-component", missingAssetMessage(relativePath), {
      component: `ps/${relativePath}`,
    });
  }
  return found;
}

const texts = new Map<string, string>();

/** The text of `relativePath` under ps/ (see psAsset), read once per process. */
export function psAssetText(relativePath: string): string {
  const known = texts.get(relativePath);
  if (known !== undefined) return known;
  const text = fs.readFileSync(psAsset(relativePath), "utf8");
  texts.set(relativePath, text);
  return text;
}
