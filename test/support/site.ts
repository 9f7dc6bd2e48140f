// Site programs for the scenario suites: a CasArraySite over the article's HeadOffice declaration
// (with any argument replaced), run under mocks; what it registered, warned and output, or the
// plan's refusal. The program side plans through the runtime in the test process: with the lab
// reset in place (the same state file) that session serves the whole file, and the fixtures
// (fixtures.ts) close it after the file's last test.
import type { ConnectionInput } from "exchange-cas";
import { register, settleSite, type ExchangeCas, type Registration } from "./contract";

type FullSiteArgs = ConstructorParameters<ExchangeCas["CasArraySite"]>[1];
export type SiteArgs = Partial<Omit<FullSiteArgs, "dns">> & { dns?: Partial<FullSiteArgs["dns"]> };

export interface Declared {
  regs: Registration[];
  warnings: string[];
  databases: { database: string; rpcClientAccessServer: string; mailboxes?: number }[];
  /** The plan's refusal, when it refused. */
  error?: string;
  /** The refusal's ExchangeCasError code. */
  code?: string;
}

export const HO_FQDN = "outlook-ho.exchangeserverpro.net";

/** Runs a site program: the article's HeadOffice declaration with `args` over it, as resource `name`. */
export async function declareSite(
  connection: ConnectionInput,
  args: SiteArgs = {},
  name = "headoffice",
): Promise<Declared> {
  const out: Declared = { regs: [], warnings: [], databases: [] };
  out.regs = await register(async (lib) => {
    const site = new lib.CasArraySite(name, {
      site: "HeadOffice",
      arrayName: "cas-headoffice",
      fqdn: HO_FQDN,
      connection,
      ...args,
      dns: { zone: "exchangeserverpro.net", server: "DC01", addresses: ["10.1.0.11"], ...args.dns },
    });
    try {
      out.warnings = await settleSite(site);
      out.databases = await new Promise((resolve) => site.databases.apply(resolve));
    } catch (e) {
      out.error = e instanceof Error ? e.message : String(e);
      const code: unknown = e instanceof Error ? Reflect.get(e, "code") : undefined;
      if (typeof code === "string") out.code = code;
    }
    return [];
  });
  return out;
}
