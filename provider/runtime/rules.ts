// Validation rules shared by the resources, with messages that say what to do.
import { z } from "zod";
import { notWhatWasWritten } from "../nearest";

// Control characters (newline, NUL, …) are never part of a real Exchange or DNS name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS host name: letters, digits and hyphens in dot-separated labels of at most 63 characters. */
export function isHostName(value: string): boolean {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/** A fully qualified domain name (at least two labels), lower-cased, without a trailing dot. */
export const Fqdn = z
  .string({ error: "must be a string such as outlook-ho.contoso.com" })
  .trim()
  .refine((v) => isHostName(v) && v.replace(/\.$/, "").includes("."), {
    message:
      "must be a fully qualified DNS name such as outlook-ho.contoso.com (letters, " +
      "digits and hyphens in dot-separated labels)",
  })
  .transform((v) => v.replace(/\.$/, "").toLowerCase());

// What Active Directory refuses in a site name (its object's cn, the DC locator's DNS label):
// the characters a distinguished name must escape, a slash (the separator of canonical names such
// as contoso.com/Configuration/Sites/Head Office), a period (it would split the site's label in
// _ldap._tcp.<site>._sites.<domain>), and '*', which Exchange's -Site reads as a wildcard.
const SITE_FORBIDDEN = new Map<string, string>([
  ...[",", "\\", "/", "#", "+", '"', "<", ">", ";", "="].map((c): [string, string] => [c, ""]),
  [".", ": domain controllers register the site name as one DNS label"],
  ["*", ": Exchange reads it as a wildcard"],
]);
// Control characters, and the invisible ones (zero-width space, direction marks, …) a copy-paste brings.
const SITE_INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/**
 * An AD site name, as Active Directory Sites and Services shows it: up to 63 characters; spaces,
 * apostrophes and other punctuation inside are legal ("Head Office", "O'Brien Site"). Kept exactly
 * as given (Exchange resolves it by name); it reaches PowerShell only through psQuote.
 */
export const SiteName = z
  .string({ error: "must be the name of an Active Directory site, such as Head Office" })
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters (an AD site name)")
  .superRefine((v, ctx) => {
    if (SITE_INVISIBLE.test(v)) {
      ctx.addIssue({
        code: "custom",
        message:
          "must not contain control or invisible characters such as newlines, " +
          "tabs or zero-width spaces; type the site name as Active Directory Sites and " +
          "Services shows it",
      });
      return;
    }
    if (v.trim() !== v) {
      ctx.addIssue({
        code: "custom",
        message:
          "must not start or end with spaces: give the site name exactly as Active " +
          "Directory shows it (such as Head Office)",
      });
      return;
    }
    const bad = Array.from(v).find((c) => SITE_FORBIDDEN.has(c));
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          `must not contain '${bad}'${SITE_FORBIDDEN.get(bad) ?? ""}: ` +
          `Active Directory site names cannot contain , \\ / # + " < > ; = . or *; ` +
          "give the site name as Active Directory Sites and Services shows it (such as " +
          "Head Office)",
      });
    }
  });

/** A CAS array name: Exchange allows up to 64 characters; a name with spaces cannot be used as an Identity. */
export const ArrayName = z
  .string({ error: "must be a string such as cas-headoffice" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters (Exchange's limit for a CAS array name)")
  .refine((v) => !CONTROL.test(v), { message: "must not contain control characters such as newlines" })
  .refine((v) => !/\s/.test(v), {
    message: "must not contain spaces: Exchange cannot use such a name as an Identity later",
  })
  .refine((v) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), {
    message:
      "must be letters, digits, hyphens, underscores and dots, " +
      "starting with a letter or digit (such as cas-headoffice)",
  });

/** An Exchange object identity we send as a value (a database name, a server name). */
export const ExchangeName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .refine((v) => !CONTROL.test(v), { message: "must not contain control characters such as newlines" })
  .refine((v) => v.trim() === v, { message: "must not start or end with spaces" });

/** A DNS zone such as exchangeserverpro.net, lower-cased, without a trailing dot. */
export const DnsZoneName = z
  .string({ error: "must be a DNS zone name such as exchangeserverpro.net" })
  .trim()
  .refine((v) => isHostName(v), {
    message:
      "must be a DNS zone name such as exchangeserverpro.net (letters, digits and hyphens in dot-separated labels)",
  })
  .transform((v) => v.replace(/\.$/, "").toLowerCase());

/**
 * A record name as written by the user: relative to its zone (`outlook-ho`) or an FQDN inside it
 * (`outlook-ho.exchangeserverpro.net`). Lower-cased; a trailing dot is kept (it marks an FQDN).
 * Whether it lies inside the zone is decided by `relativeRecordName`, which knows the zone.
 */
export const DnsRecordName = z
  .string({
    error: "must be a host name such as outlook-ho (relative to the zone) or outlook-ho.exchangeserverpro.net",
  })
  .trim()
  .refine((v) => v === "@" || isHostName(v), {
    message:
      "must be a host name such as outlook-ho or outlook-ho.exchangeserverpro.net " +
      "(letters, digits and hyphens in dot-separated labels)",
  })
  .transform((v) => v.toLowerCase());

/**
 * `name` relative to `zone` (both already validated and lower-cased). A name without a dot is
 * relative; a name with a dot is read as an FQDN and must end in the zone, so a name outside the
 * zone is never silently appended to it. The apex is not a host name this resource manages.
 */
export function relativeRecordName(name: string, zone: string): { name: string } | { error: string } {
  const fqdn = name.replace(/\.$/, "");
  if (fqdn === "@" || fqdn === zone) {
    return {
      error:
        `is the apex of zone ${zone}, which DnsARecord does not manage; ` +
        "give a host name inside the zone, such as outlook-ho",
    };
  }
  if (fqdn.endsWith(`.${zone}`)) return { name: fqdn.slice(0, -(zone.length + 1)) };
  if (fqdn.includes(".") || name.endsWith(".")) {
    return {
      error:
        `is outside zone ${zone}: give a name relative to the zone (such as outlook-ho) ` +
        `or an FQDN that ends in .${zone}, or put the record in the zone that holds ${fqdn}`,
    };
  }
  return { name: fqdn };
}

/** The DNS server the DnsServer cmdlets address with -ComputerName: a host name, FQDN or IPv4 address. */
export const DnsServerName = z
  .string({ error: "must be the DNS server's name, such as DC01" })
  .trim()
  .refine((v) => isHostName(v), {
    message: "must be the DNS server's name, FQDN or IPv4 address, such as DC01 or dc01.exchangeserverpro.net",
  })
  .transform((v) => v.replace(/\.$/, ""));

/** Orders IPv4 addresses numerically (10.0.0.9 before 10.0.0.10). */
export function compareIPv4(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/**
 * One IPv4 address in dotted-quad form: four numbers 0-255, no leading zeros (010 reads as octal 8
 * to some resolvers).
 */
export const IPv4Address = z
  .string({ error: "must be an IPv4 address such as 192.168.10.50" })
  .trim()
  .superRefine((v, ctx) => {
    if (v.includes(":")) {
      ctx.addIssue({
        code: "custom",
        message: `${v} is an IPv6 address: DnsARecord manages A records (IPv4) only; AAAA records are not managed`,
      });
      return;
    }
    const parts = v.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(v)} must be an IPv4 address in dotted-quad form, such as 192.168.10.50`,
      });
      return;
    }
    if (parts.some((p) => Number(p) > 255)) {
      ctx.addIssue({ code: "custom", message: `${v} is not an IPv4 address: each of its four numbers must be 0-255` });
      return;
    }
    if (parts.some((p) => p.length > 1 && p.startsWith("0"))) {
      ctx.addIssue({
        code: "custom",
        message:
          `${v} has a number with a leading zero, which some tools read as octal; ` +
          "write it without leading zeros (such as 10.0.0.8)",
      });
    }
  });

/** The whole set of A records at a name: at least one address, duplicates removed, sorted. */
export const IPv4AddressSet = z
  .array(IPv4Address, { error: 'must be a list of IPv4 addresses, such as ["192.168.10.50"]' })
  .min(1, "must list at least one IPv4 address: a Client Access server's address or the load balancer's VIP")
  .transform((list) => [...new Set(list)].sort(compareIPv4));

/** A DNS time to live in whole seconds (the DnsServer cmdlets take it as a TimeSpan). */
export const TimeToLiveSeconds = z
  .number({ error: "must be a number of seconds, such as 3600" })
  .int("must be a whole number of seconds, such as 3600")
  .min(1, "must be at least 1 second")
  .max(2147483647, "must be at most 2147483647 seconds");

/**
 * What Set-MailboxDatabase -RpcClientAccessServer names: a Client Access server or CAS array, by
 * name (HO-EX2010-MB1, cas-headoffice) or FQDN. Whether that object exists only Exchange can say.
 */
export const RpcClientAccessServerName = z
  .string({ error: "must name a Client Access server or CAS array, such as outlook-ho.exchangeserverpro.net" })
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  .refine((v) => !CONTROL.test(v), { message: "must not contain control characters such as newlines" })
  .refine((v) => !/\s/.test(v), { message: "must not contain spaces" })
  .refine((v) => isHostName(v) || /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v), {
    message:
      "must name a Client Access server or CAS array by its name (HO-EX2010-MB1, " +
      "cas-headoffice) or FQDN (outlook-ho.exchangeserverpro.net)",
  });

/** The range Exchange's Best Practices Analyzer recommends for the static RPC ports (LB-WIRING §1.3). */
export const RECOMMENDED_RPC_PORTS = { from: 59531, to: 60554 } as const;

/** A static RPC port: 1024-65535 (below 1024 the BPA calls the configuration bad). */
export const StaticRpcPort = z
  .number({ error: "must be a TCP port number" })
  .int("must be a whole number")
  .min(1024, "must be from 1024 to 65535 (ports below 1024 are reserved; Exchange's recommended range is 59531-60554)")
  .max(65535, "must be from 1024 to 65535");

/** The two static ports of a CAS array's servers: distinct. */
export const StaticRpcPortPair = z
  .object(
    { rpcClientAccess: StaticRpcPort, addressBook: StaticRpcPort },
    { error: "must be { rpcClientAccess, addressBook }: two TCP port numbers" },
  )
  .strict()
  .refine((p) => p.rpcClientAccess !== p.addressBook, {
    error: (issue) =>
      "rpcClientAccess and addressBook must be two different ports (both are " +
      `${String((issue.input as { addressBook?: unknown }).addressBook)}): ` +
      "each service listens on its own",
    path: ["addressBook"],
  });
export type StaticRpcPortPair = z.infer<typeof StaticRpcPortPair>;

/** Whether a static port is in the range the Best Practices Analyzer recommends. */
export function isRecommendedRpcPort(port: number): boolean {
  return port >= RECOMMENDED_RPC_PORTS.from && port <= RECOMMENDED_RPC_PORTS.to;
}

/** Each static port outside the recommended range, with the service it is for (the advice's subject). */
export function portsOutsideRange(pair: StaticRpcPortPair): { label: string; port: number }[] {
  return (
    [
      ["RPC Client Access", pair.rpcClientAccess],
      ["Address Book", pair.addressBook],
    ] as const
  )
    .filter(([, port]) => !isRecommendedRpcPort(port))
    .map(([label, port]) => ({ label, port }));
}

/** The endpoint mapper, where every Outlook (MAPI over RPC) connection starts. */
export const ENDPOINT_MAPPER_PORT = 135;

/** The TCP ports a load balancer in front of the array publishes: 135, then the static ports when there are any. */
export function loadBalancerPorts(pair?: StaticRpcPortPair): number[] {
  return [ENDPOINT_MAPPER_PORT, ...(pair === undefined ? [] : [pair.rpcClientAccess, pair.addressBook])];
}

/** What the load balancer in front of a site's array must publish once its servers have static ports. */
export const LoadBalancerSchema = z.object({
  protocol: z.literal("TCP"),
  ports: z.array(z.number()),
  affinity: z.string(),
});
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;

/** The load balancer a site's array needs for these static ports. */
export function loadBalancerFor(pair: StaticRpcPortPair): LoadBalancer {
  return {
    protocol: "TCP",
    ports: loadBalancerPorts(pair),
    affinity: "client IP (source address), for the whole Outlook session, on all three ports",
  };
}

/** The advice on a static port outside the recommended range (portsOutsideRange says which). */
export function portRangeAdvice(label: string, port: number): string {
  return (
    `${label} port ${port} is outside ${RECOMMENDED_RPC_PORTS.from}-${RECOMMENDED_RPC_PORTS.to}, ` +
    "the range Exchange's Best Practices Analyzer recommends for static RPC ports: " +
    "it lies above the dynamic range (6005-59530) that Exchange 2010 gives RPC, " +
    "so no other service can take the port first."
  );
}

/** The advice on a port when it is outside the recommended range, or undefined. */
export function staticRpcPortAdvice(label: string, port: number): string | undefined {
  return isRecommendedRpcPort(port) ? undefined : portRangeAdvice(label, port);
}

/** An AdminDisplayVersion ("Version 14.3 (Build 123.4)") as major and minor, or undefined. */
export function exchangeVersion(text: string): { major: number; minor: number } | undefined {
  const m = /^\s*Version (\d+)\.(\d+)/.exec(text);
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * Set by a CasArraySite on its children: its plan has already told the admin what this resource
 * will do, so the resource does not say it again. How a resource reports, never a change.
 */
export const PlannedBySite = z.boolean({ error: "must be true or false" }).optional();

/** What destroying a resource does to what it manages. */
export const ON_DELETE = ["restore", "retain"] as const;

/** `onDelete` as an input: `restore` does `restores`, `retain` does `retains` (the message says both). */
export function OnDelete(restores: string, retains: string) {
  return z.enum(ON_DELETE, {
    error: (issue) =>
      `must be 'restore' (${restores}) or 'retain' (${retains})${notWhatWasWritten(issue.input, ON_DELETE)}`,
  });
}

/** `onDelete` as state keeps it. */
export const OnDeleteState = z.enum(ON_DELETE);
