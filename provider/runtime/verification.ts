// CasArrayVerification: a read-only check, after the apply, that a CAS array is wired the way it
// was declared: its FQDN resolves at the site's DNS server to exactly the declared addresses, the
// array (Get-ClientAccessArray -Site) has members, and, when ports are given, each address accepts
// TCP connections on them (from the provider's machine). It changes nothing. create, update and
// read (refresh) run the checks; every failure is a warning, and with mode "strict" create and
// update fail with all of them. The result is an output (`verification`) that says when it was
// checked (`checkedAt`). Every apply that changes what it looks at checks again: its diff runs
// the DNS and members checks (cheap, read-only) and reports a change when they find something
// other than the stored result, so an apply that repaired the record or the array (after a
// refresh saw them gone) re-checks instead of keeping what the refresh saw.
import { z } from "zod";
import { resolveARecords } from "../dns";
import { listClientAccessArrays } from "../exchange";
import { ConnectionSchema } from "../shell";
import { DEFAULT_TCP_TIMEOUT_MS, probeTcp, type TcpResult } from "../verify/tcp";
import { containsUnknown, parseChecked, plain } from "./check";
import type { ResourceDefinition } from "./contract";
import { canonicalJson, diffInputs, type DiffRules } from "./diff";
import { warn } from "./log";
import { compareIPv4, DnsServerName, Fqdn, IPv4AddressSet, SiteName } from "./rules";
import { ExchangeCasError } from "../errors";

const TcpPort = z
  .number({ error: "must be a TCP port number such as 135" })
  .int("must be a whole TCP port number such as 135")
  .min(1, "must be a TCP port number from 1 to 65535")
  .max(65535, "must be a TCP port number from 1 to 65535");

const shape = {
  /** The array's FQDN, the name Outlook connects to. */
  fqdn: Fqdn,
  /** The site's DNS server, asked with Resolve-DnsName -Server. */
  dnsServer: DnsServerName,
  /** Where Resolve-ExcasDnsName runs (the DNS connection of the site). */
  dnsConnection: ConnectionSchema,
  /** What the FQDN must resolve to, exactly. */
  addresses: IPv4AddressSet,
  /** The AD site whose array (Get-ClientAccessArray -Site) must have members. */
  site: SiteName,
  /** Where the Exchange cmdlets run. */
  connection: ConnectionSchema,
  /** TCP ports to connect to on each address (none: no TCP check). */
  ports: z
    .array(TcpPort, { error: "must be a list of TCP port numbers, such as [135, 59532, 59533]" })
    .transform((list) => [...new Set(list)].sort((a, b) => a - b))
    .optional(),
  mode: z
    .enum(["warn", "strict"], {
      error: "must be 'warn' (report failures as warnings) or 'strict' (fail the apply on any failure)",
    })
    .default("warn"),
  /** Milliseconds each TCP connect may take (default 3000). */
  tcpTimeoutMs: z
    .number({ error: "must be a number of milliseconds, such as 3000" })
    .int("must be a whole number of milliseconds")
    .min(100, "must be at least 100 ms")
    .max(60000, "must be at most 60000 ms (one minute)")
    .optional(),
};
const InputsSchema = z.object(shape);
export type CasArrayVerificationInputs = z.infer<typeof InputsSchema>;

const VerificationSchema = z.object({
  /** Every check passed. */
  ok: z.boolean(),
  dns: z.object({ server: z.string(), resolved: z.array(z.string()), expected: z.array(z.string()), ok: z.boolean() }),
  members: z.object({ names: z.array(z.string()), ok: z.boolean() }),
  tcp: z.array(
    z.object({
      address: z.string(),
      port: z.number(),
      result: z.string().describe("open, refused, timeout or the error code"),
    }),
  ),
  /** One sentence per failed check, in the order dns, members, tcp. */
  failures: z.array(z.string()),
  /** When these checks ran (ISO 8601, UTC). Absent in the state of versions that did not say. */
  checkedAt: z.string().optional(),
});
export type Verification = z.infer<typeof VerificationSchema>;

const OutputsSchema = InputsSchema.extend({ verification: VerificationSchema });
export type CasArrayVerificationOutputs = z.infer<typeof OutputsSchema>;

/** How diff compares each input with state. It owns nothing: any change is checked again in place. */
export const casArrayVerificationDiffRules: DiffRules<CasArrayVerificationOutputs> = {
  fqdn: { compare: "fqdn" },
  dnsServer: { compare: "name" },
  site: { compare: "name" },
  addresses: { compare: "ipv4Set" },
  ports: { compare: "value", default: [] },
  mode: { compare: "value", default: "warn" },
  tcpTimeoutMs: { compare: "value", default: DEFAULT_TCP_TIMEOUT_MS },
  connection: { compare: "value" },
  dnsConnection: { compare: "value" },
};

/** The inputs among stored outputs. */
function inputsOf(props: CasArrayVerificationOutputs): CasArrayVerificationInputs {
  const { verification: _verification, ...inputs } = props;
  return inputs;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\.$/, "");
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "no address" : items.join(", ");
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

async function checkDns(
  inputs: CasArrayVerificationInputs,
): Promise<{ result: Verification["dns"]; failures: string[] }> {
  const { fqdn, dnsServer: server, addresses: expected } = inputs;
  const records = plural(expected.length, "record", "records");
  try {
    const answer = await resolveARecords(inputs.dnsConnection, fqdn, server);
    const resolved = [...new Set(answer.records.map((r) => r.address))].sort(compareIPv4);
    const ok = answer.exists && JSON.stringify(resolved) === JSON.stringify(expected);
    const failures: string[] = [];
    if (!answer.exists) {
      failures.push(
        `${fqdn} does not exist at DNS server ${server} (DNS name does not exist): ` +
          `Outlook clients that use ${server} cannot find the array until the name has its ` +
          `A ${records} (${list(expected)}).`,
      );
    } else if (resolved.length === 0) {
      failures.push(
        `${fqdn} has no A record at DNS server ${server}: ` +
          `Outlook clients that use ${server} cannot find the array until the name has its ` +
          `A ${records} (${list(expected)}).`,
      );
    } else if (!ok) {
      failures.push(
        `${fqdn} resolves at ${server} to ${list(resolved)}, ` +
          `not to the declared ${list(expected)}: Outlook clients that use ${server} are ` +
          `sent to ${plural(resolved.length, "that address", "those addresses")}; ` +
          `check the A records of the name on ${server} (a record added by hand, ` +
          "or a change that has not replicated yet).",
      );
    }
    return { result: { server, resolved, expected, ok }, failures };
  } catch (e) {
    return {
      result: { server, resolved: [], expected, ok: false },
      failures: [
        `Could not resolve ${fqdn} at DNS server ${server}, ` +
          `so where Outlook clients that use it are sent is unknown: ${message(e)}.`,
      ],
    };
  }
}

async function checkMembers(
  inputs: CasArrayVerificationInputs,
): Promise<{ result: Verification["members"]; failures: string[] }> {
  const { fqdn, site } = inputs;
  try {
    const arrays = await listClientAccessArrays(inputs.connection, site);
    const array = arrays.find((a) => a.fqdn.toLowerCase() === fqdn);
    if (array === undefined) {
      const other = arrays[0];
      const failure =
        other === undefined
          ? `Site ${site} has no Client Access array, so Outlook clients sent to ${fqdn} ` +
            `reach no array: create it (New-ClientAccessArray -Fqdn ${fqdn} -Site '${site}').`
          : `The Client Access array ${other.name} of site ${site} has the FQDN ` +
            `${other.fqdn}, not ${fqdn}, so Outlook clients sent to ${fqdn} do not reach it.`;
      return { result: { names: [], ok: false }, failures: [failure] };
    }
    const names = [...array.members].sort((a, b) => a.localeCompare(b));
    if (names.length === 0) {
      return {
        result: { names, ok: false },
        failures: [
          `The Client Access array ${array.name} (${fqdn}) of site ${site} has no members: ` +
            "Exchange finds no Client Access server in the site, " +
            `so no server answers the Outlook clients that connect to ${fqdn}.`,
        ],
      };
    }
    return { result: { names, ok: true }, failures: [] };
  } catch (e) {
    return {
      result: { names: [], ok: false },
      failures: [
        `Could not read the Client Access array of site ${site}, ` +
          `so whether ${fqdn} has members is unknown: ${message(e)}.`,
      ],
    };
  }
}

function tcpFailure(address: string, port: number, result: TcpResult, timeoutMs: number): string | undefined {
  const at = `From the machine running Pulumi, ${address}:${port}`;
  const role =
    port === 135 ? "port 135 (the RPC endpoint mapper every Outlook connection starts with)" : `port ${port}`;
  switch (result) {
    case "open":
      return undefined;
    case "refused":
      return (
        `${at} refused the connection: nothing listens on ${role} there, ` +
        `so Outlook clients that reach the array at ${address} fail.`
      );
    case "timeout":
      return (
        `${at} did not answer within ${timeoutMs / 1000} s: ` +
        `a firewall drops connections to ${role} or nothing is at ${address}, ` +
        "so Outlook clients that reach the array there wait and fail."
      );
    default:
      return `${at} could not be reached (${result}), so whether Outlook clients can use ${role} there is unknown.`;
  }
}

async function checkTcp(
  inputs: CasArrayVerificationInputs,
): Promise<{ result: Verification["tcp"]; failures: string[] }> {
  const ports = inputs.ports ?? [];
  const targets = inputs.addresses.flatMap((address) => ports.map((port) => ({ address, port })));
  const timeoutMs = inputs.tcpTimeoutMs ?? DEFAULT_TCP_TIMEOUT_MS;
  const result = await probeTcp(targets, { timeoutMs });
  const failures = result
    .map((r) => tcpFailure(r.address, r.port, r.result, timeoutMs))
    .filter((f): f is string => f !== undefined);
  return { result, failures };
}

/** Runs every check; never throws because of what it finds (or cannot find). */
export async function verify(
  inputs: CasArrayVerificationInputs,
  now: () => Date = () => new Date(),
): Promise<Verification> {
  const [dns, members, tcp] = await Promise.all([checkDns(inputs), checkMembers(inputs), checkTcp(inputs)]);
  const failures = [...dns.failures, ...members.failures, ...tcp.failures];
  return {
    ok: failures.length === 0,
    dns: dns.result,
    members: members.result,
    tcp: tcp.result,
    failures,
    checkedAt: now().toISOString(),
  };
}

/**
 * Whether the DNS and members checks, run now, find something other than `stored` found: what
 * the check looks at has changed since (an apply repaired the record or the array, or somebody
 * changed them). TCP is left to the apply: it is the slow check, and the ports it probes change
 * only with inputs that are compared anyway.
 */
export async function findsOtherwise(inputs: CasArrayVerificationInputs, stored: Verification): Promise<boolean> {
  const [dns, members] = await Promise.all([checkDns(inputs), checkMembers(inputs)]);
  const sameDns = canonicalJson(dns.result) === canonicalJson(stored.dns);
  const sameMembers = canonicalJson(members.result) === canonicalJson(stored.members);
  const storedOther = stored.failures.filter((f) => !stored.tcp.some((t) => f.includes(`${t.address}:${t.port}`)));
  const sameFailures = canonicalJson([...dns.failures, ...members.failures]) === canonicalJson(storedOther);
  return !(sameDns && sameMembers && sameFailures);
}

function outputs(inputs: CasArrayVerificationInputs, verification: Verification): CasArrayVerificationOutputs {
  return plain({ ...inputs, verification });
}

function idOf(inputs: CasArrayVerificationInputs): string {
  return `${inputs.fqdn}@${inputs.dnsServer}`.toLowerCase();
}

/** Checks, warns about every failure, and in strict mode fails with all of them. */
async function apply(inputs: CasArrayVerificationInputs): Promise<CasArrayVerificationOutputs> {
  const verification = await verify(inputs);
  for (const failure of verification.failures) warn(failure);
  if (inputs.mode === "strict" && !verification.ok) {
    const n = verification.failures.length;
    throw new ExchangeCasError(
      "verification-failed",
      `The wiring of CAS array ${inputs.fqdn} failed ${n} ${plural(n, "check", "checks")} ` +
        `(mode "strict"):\n- ${verification.failures.join("\n- ")}`,
      {
        fqdn: inputs.fqdn,
        failures: verification.failures,
      },
    );
  }
  return outputs(inputs, verification);
}

export const casArrayVerification = {
  kind: "CasArrayVerification",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: casArrayVerificationDiffRules,

  async diff(_id: string, olds: CasArrayVerificationOutputs, news: Record<string, unknown>) {
    const { changes, replaces } = diffInputs(casArrayVerificationDiffRules, olds, news);
    if (changes || containsUnknown(news)) return { changes: true, replaces, deleteBeforeReplace: false };
    // Inputs as before: check again only if what the checks look at has changed.
    return { changes: await findsOtherwise(inputsOf(olds), olds.verification), replaces, deleteBeforeReplace: false };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, raw, "CasArrayVerification");
    return { id: idOf(inputs), outs: await apply(inputs) };
  },

  async read(id: string, props: CasArrayVerificationOutputs) {
    const inputs = inputsOf(props);
    // A refresh reports what it finds; it never fails because a check did.
    const verification = await verify(inputs);
    for (const failure of verification.failures) warn(failure);
    return { id, props: outputs(inputs, verification), inputs: plain(inputs) };
  },

  async update(_id: string, _olds: CasArrayVerificationOutputs, news: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, news, "CasArrayVerification");
    return { outs: await apply(inputs) };
  },

  async delete() {
    // Nothing to undo: verification changes nothing.
  },
} satisfies ResourceDefinition<CasArrayVerificationOutputs>;
