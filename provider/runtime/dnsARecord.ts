// DnsARecord: the whole set of A records at one name (a CAS array's FQDN), on one Windows DNS
// server. Identity is <dnsServer>/<zone>/<name>. The address set and the TTL converge in place,
// one record at a time; zone, name and server are the identity, so changing one replaces.
import { z } from "zod";
import {
  addARecord,
  DnsZoneNotFoundError,
  getARecords,
  removeARecord,
  setARecordTtl,
  type ARecord,
  type DnsName,
} from "../dns";
import { ConnectionSchema, type Connection } from "../shell";
import { checkProperties, containsUnknown, parseChecked, plain } from "./check";
import type { ResourceDefinition } from "./contract";
import type { DiffRules } from "./diff";
import { warn } from "./log";
import {
  compareIPv4,
  DnsRecordName,
  DnsServerName,
  DnsZoneName,
  IPv4AddressSet,
  OnDelete,
  OnDeleteState,
  relativeRecordName,
  TimeToLiveSeconds,
  PlannedBySite,
} from "./rules";
import { ExchangeCasError } from "../errors";

const DEFAULT_TTL = 3600;

const shape = {
  zone: DnsZoneName,
  name: DnsRecordName,
  addresses: IPv4AddressSet,
  ttl: TimeToLiveSeconds.default(DEFAULT_TTL),
  adopt: z.boolean({ error: "must be true or false" }).optional(),
  onDelete: OnDelete("remove the records this stack created", "leave them").optional(),
  dnsServer: DnsServerName,
  connection: ConnectionSchema,
  /** Set by CasArraySite: its plan has warned about round robin, so the apply does not warn again. */
  plannedBySite: PlannedBySite,
};
const InputsSchema = z.object(shape);
export type DnsARecordInputs = z.infer<typeof InputsSchema>;

const OutputsSchema = z.object({
  zone: z.string(),
  /** Relative to the zone. */
  name: z.string(),
  fqdn: z.string(),
  /** Every A record at the name, sorted. */
  addresses: z.array(z.string()),
  ttl: z.number(),
  /** Each A record with its own TTL, sorted by address. */
  records: z.array(z.object({ address: z.string(), ttl: z.number() })),
  dnsServer: z.string(),
  adopt: z.boolean().optional(),
  /** Whether the name had A records when this resource took it over (released, not removed, on delete). */
  adopted: z.boolean().optional(),
  onDelete: OnDeleteState.optional(),
  connection: ConnectionSchema,
});
export type DnsARecordOutputs = z.infer<typeof OutputsSchema>;

/**
 * How diff compares each input with state. Another zone, name or server is another record
 * (replaced, the new name created before the old one is deleted: they never collide, and the old
 * name keeps answering until the new one exists); the address set, TTL and the rest change in place.
 */
export const dnsARecordDiffRules: DiffRules<DnsARecordOutputs> = {
  zone: { compare: "fqdn", replaces: true },
  name: { compare: "name", replaces: true },
  dnsServer: { compare: "name", replaces: true },
  addresses: { compare: "ipv4Set" },
  ttl: { compare: "value" },
  adopt: { compare: "value", default: false },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  plannedBySite: { compare: "ignored" },
};

function idOf(at: DnsName): string {
  return `${at.dnsServer}/${at.zone}/${at.name}`.toLowerCase();
}

function fqdnOf(at: DnsName): string {
  return `${at.name}.${at.zone}`;
}

function parseInputs(raw: unknown): DnsARecordInputs {
  const inputs = parseChecked(InputsSchema, raw, "DnsARecord");
  const relative = relativeRecordName(inputs.name, inputs.zone);
  if ("error" in relative) {
    throw new ExchangeCasError(
      "invalid-inputs",
      `Invalid DnsARecord inputs: name '${inputs.name}' ${relative.error}.`,
      { resource: "DnsARecord", property: "name" },
    );
  }
  return { ...inputs, name: relative.name };
}

/**
 * The TTL to report: the records' TTL, or the smallest when someone gave them different ones (a
 * resolver then uses the smallest, RFC 2181 §5.2). Diff looks at every record's TTL (`records`).
 */
function reportedTtl(records: ARecord[]): number {
  return Math.min(...records.map((r) => r.ttl));
}

type Kept = Pick<DnsARecordOutputs, "zone" | "name" | "dnsServer" | "adopt" | "adopted" | "onDelete" | "connection">;

function outputs(records: ARecord[], inputs: Kept): DnsARecordOutputs {
  const sorted = [...records].sort((a, b) => compareIPv4(a.address, b.address));
  return plain({
    zone: inputs.zone,
    name: inputs.name,
    fqdn: fqdnOf(inputs),
    addresses: sorted.map((r) => r.address),
    ttl: reportedTtl(sorted),
    records: sorted.map((r) => ({ address: r.address, ttl: r.ttl })),
    dnsServer: inputs.dnsServer,
    adopt: inputs.adopt,
    adopted: inputs.adopted,
    onDelete: inputs.onDelete,
    connection: inputs.connection,
  });
}

/** The records at the name that are not declared: what taking the name over removes. */
function foreignOf(existing: ARecord[], inputs: DnsARecordInputs): string[] {
  const wanted = new Set(inputs.addresses);
  return existing
    .map((r) => r.address)
    .filter((a) => !wanted.has(a))
    .sort(compareIPv4);
}

/**
 * A create finds A records at the name: none of them is this stack's, whatever its address (the
 * stack owns only what it created; a record with a declared address may have been made by hand,
 * and taking it silently would delete it on destroy). Refused without adopt.
 */
export function foreignMessage(
  existing: string[],
  inputs: Pick<DnsARecordInputs, "addresses" | "dnsServer" | "zone" | "name">,
): string {
  const sorted = [...existing].sort(compareIPv4);
  const them = sorted.length > 1 ? "them" : "it";
  const declared = sorted.filter((a) => inputs.addresses.includes(a));
  const alsoDeclared =
    declared.length === 0
      ? ""
      : ` (${declared.join(", ")} ${declared.length > 1 ? "are declared addresses" : "is a declared address"}, ` +
        "but a record this stack did not create is not its own: " +
        "one made by hand, or by an apply of this stack that was interrupted before it " +
        "could record it)";
  return (
    `${fqdnOf(inputs)} on DNS server '${inputs.dnsServer}' already has A ` +
    `record${sorted.length > 1 ? "s" : ""} ${sorted.join(", ")} that this stack does ` +
    `not own${alsoDeclared}. Remove ${them} from DNS and run again, or set 'adopt: ` +
    "true' to take the name over as it is: records not in 'addresses' are then " +
    "removed, and on destroy the name is released, never deleted."
  );
}

function adoptMessage(existing: ARecord[], inputs: DnsARecordInputs): string {
  const foreign = foreignOf(existing, inputs);
  const what =
    foreign.length > 0
      ? `: A record${foreign.length > 1 ? "s" : ""} ${foreign.join(", ")} will be ` +
        `removed, leaving ${inputs.addresses.join(", ")}`
      : ` as it is (A record${existing.length > 1 ? "s" : ""} ${existing
          .map((r) => r.address)
          .sort(compareIPv4)
          .join(", ")})`;
  return `${fqdnOf(inputs)} will be taken over (adopt)${what}; on destroy the name is released, not removed.`;
}

function warnRoundRobin(inputs: DnsARecordInputs): void {
  // Once per operation: a CasArraySite's plan has warned about it (with the site's other facts).
  if (inputs.addresses.length > 1 && inputs.plannedBySite !== true) {
    warn(
      `${fqdnOf(inputs)} gets ${inputs.addresses.length} A records ` +
        `(${inputs.addresses.join(", ")}): that is DNS round robin, not load balancing. ` +
        "Clients keep using an address whose server is down; " +
        "point the name at one Client Access server or at the load balancer's VIP.",
    );
  }
}

/**
 * Makes the A records at the name exactly `wanted.addresses` with `wanted.ttl`, never leaving the
 * name without an address: the new records are added and confirmed present before any old one
 * is removed, and removals go one -RecordData at a time.
 */
/**
 * Adds, removes and re-times records until the name holds exactly `wanted`. `owned` false (a create
 * without adopt): an address that turns out to be there already when it is added (WIN32 9711: a
 * record made meanwhile, by someone else) is not this stack's, and is refused like one found first.
 */
async function converge(
  connection: Connection,
  at: DnsName,
  actual: ARecord[],
  wanted: DnsARecordInputs,
  owned = true,
): Promise<void> {
  const have = new Set(actual.map((r) => r.address));
  const toAdd = wanted.addresses.filter((a) => !have.has(a));
  for (const address of toAdd) {
    const added = await addARecord(connection, at, address, wanted.ttl);
    if (!added && !owned)
      throw new ExchangeCasError("foreign-object", foreignMessage([address], wanted), {
        fqdn: fqdnOf(at),
        addresses: [address],
      });
  }
  let current = actual;
  if (toAdd.length > 0) {
    current = await getARecords(connection, at);
    const present = new Set(current.map((r) => r.address));
    const missing = wanted.addresses.filter((a) => !present.has(a));
    if (missing.length > 0) {
      throw new ExchangeCasError(
        "gone-after-write",
        `Added ${missing.join(", ")} to ${fqdnOf(at)} on DNS server '${at.dnsServer}', ` +
          `but the server does not list ${missing.length > 1 ? "them" : "it"}; ` +
          "the old records were left in place. Run 'pulumi up' again.",
        { fqdn: fqdnOf(at), dnsServer: at.dnsServer, missing },
      );
    }
  }
  const keep = new Set(wanted.addresses);
  for (const record of current) {
    if (!keep.has(record.address)) await removeARecord(connection, at, record.address);
  }
  for (const record of current) {
    if (keep.has(record.address) && record.ttl !== wanted.ttl)
      await setARecordTtl(connection, at, record.address, wanted.ttl);
  }
}

async function readBack(connection: Connection, at: DnsName, action: string): Promise<ARecord[]> {
  const records = await getARecords(connection, at);
  if (records.length === 0) {
    throw new ExchangeCasError(
      "gone-after-write",
      `The A records of ${fqdnOf(at)} were ${action} on DNS server '${at.dnsServer}', but the server lists none.`,
      {
        fqdn: fqdnOf(at),
        dnsServer: at.dnsServer,
      },
    );
  }
  return records;
}

export const dnsARecord = {
  kind: "DnsARecord",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: dnsARecordDiffRules,
  /** A record whose own TTL is not the declared one. */
  drift: (olds, news) => olds.records.some((r) => r.ttl !== news.ttl),

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    const failed = (p: string) => failures.some((f) => f.property === p);
    if (typeof inputs.zone === "string" && typeof inputs.name === "string" && !failed("zone") && !failed("name")) {
      if (!containsUnknown(inputs.zone) && !containsUnknown(inputs.name)) {
        const relative = relativeRecordName(inputs.name, inputs.zone);
        if ("error" in relative) failures.push({ property: "name", reason: `'${inputs.name}' ${relative.error}` });
        else inputs.name = relative.name;
      }
    }
    // A create (nothing in state): say what the name already has, so the preview shows it.
    const isCreate = olds.zone === undefined && olds.name === undefined;
    if (isCreate && failures.length === 0 && !containsUnknown(inputs)) {
      const wanted = parseInputs(inputs);
      let existing: ARecord[] = [];
      try {
        existing = await getARecords(wanted.connection, wanted);
      } catch {
        // The server cannot say now (unreachable, no such zone...): create asks again and reports it.
      }
      if (existing.length > 0 && wanted.adopt !== true)
        failures.push({
          property: "addresses",
          reason: foreignMessage(
            existing.map((r) => r.address),
            wanted,
          ),
        });
      else if (existing.length > 0) warn(adoptMessage(existing, wanted));
    }
    return { inputs, failures };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseInputs(raw);
    const { connection } = inputs;
    const existing = await getARecords(connection, inputs);
    if (existing.length > 0 && inputs.adopt !== true) {
      const addresses = existing.map((r) => r.address).sort(compareIPv4);
      throw new ExchangeCasError("foreign-object", foreignMessage(addresses, inputs), {
        fqdn: fqdnOf(inputs),
        addresses,
      });
    }
    warnRoundRobin(inputs);
    await converge(connection, inputs, existing, inputs, inputs.adopt === true);
    const records = await readBack(connection, inputs, "created");
    // Records that were there before are the site's, not this stack's: released on delete.
    const adopted = inputs.adopt === true && existing.length > 0;
    return { id: idOf(inputs), outs: outputs(records, { ...inputs, adopted }) };
  },

  async read(id: string, props: DnsARecordOutputs) {
    const { connection } = props;
    const at = { dnsServer: props.dnsServer, zone: props.zone, name: props.name };
    let records: ARecord[];
    try {
      records = await getARecords(connection, at);
    } catch (e) {
      // The zone is gone, and with it the records.
      if (e instanceof DnsZoneNotFoundError) return { id: "" };
      throw e;
    }
    if (records.length === 0) return { id: "" };
    const outs = outputs(records, {
      ...at,
      adopt: props.adopt,
      adopted: props.adopted,
      onDelete: props.onDelete,
      connection,
    });
    const inputs = plain({
      zone: outs.zone,
      name: outs.name,
      addresses: outs.addresses,
      ttl: outs.ttl,
      adopt: props.adopt,
      onDelete: props.onDelete,
      dnsServer: outs.dnsServer,
      connection,
    });
    return { id, props: outs, inputs };
  },

  async update(_id: string, olds: DnsARecordOutputs, news: Record<string, unknown>) {
    const inputs = parseInputs(news);
    const { connection } = inputs;
    const actual = await getARecords(connection, inputs);
    if (JSON.stringify(inputs.addresses) !== JSON.stringify(olds.addresses)) warnRoundRobin(inputs);
    await converge(connection, inputs, actual, inputs);
    const records = await readBack(connection, inputs, "updated");
    return { outs: outputs(records, { ...inputs, adopted: olds.adopted }) };
  },

  async delete(_id: string, props: DnsARecordOutputs) {
    const { connection } = props;
    const at = { dnsServer: props.dnsServer, zone: props.zone, name: props.name };
    if (props.adopted === true || props.onDelete === "retain") {
      const why =
        props.adopted === true ? "the name had A records before this stack took it over" : "onDelete is retain";
      warn(
        `${fqdnOf(at)} is released, not removed: ${why}. ` +
          `Its A records (${props.addresses.join(", ")}) stay on DNS server '${props.dnsServer}'.`,
      );
      return;
    }
    // Exactly the records this resource owns, one -RecordData at a time; gone already is fine.
    for (const address of props.addresses) {
      try {
        await removeARecord(connection, at, address);
      } catch (e) {
        if (e instanceof DnsZoneNotFoundError) return;
        throw e;
      }
    }
  },
} satisfies ResourceDefinition<DnsARecordOutputs>;
