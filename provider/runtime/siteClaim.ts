// CasArraySiteClaim: the record, in the stack's state, that this stack manages one AD site's CAS
// array name. A CasArraySite registers it first and every other child waits for it, so its check
// is the first thing the engine runs for a site, at preview and at `up --skip-preview` alike.
//
// Why it exists: the brownfield refusals (the site already has another array; the name already
// has A records the stack did not create) can only be judged knowing what the stack already
// manages, and the program (the site plan) cannot see the stack's state. The claim's check can:
// its olds are empty only when the stack has never claimed the site (or the name). Before, each
// refusal came from its own resource's check, the array's after the record was created, so an
// apply without a preview refused half-way and left the record. Now a refusal comes before any
// child is registered: nothing changes. After the first apply the claim is in state, and the
// site's objects are the stack's: a rename (declared or made at the console) is an update, never
// a refusal. The claim changes nothing in Exchange or DNS; deleting it forgets the claim.
import { z } from "zod";
import { getARecords } from "../dns";
import { listClientAccessArrays, type CasArray } from "../exchange";
import { ConnectionSchema } from "../shell";
import { checkProperties, containsUnknown, parseChecked, plain, type CheckFailure } from "./check";
import { foreignArrayMessage, identical } from "./clientAccessArray";
import type { ResourceDefinition } from "./contract";
import { sameAs, sameName, type DiffRules } from "./diff";
import { foreignMessage } from "./dnsARecord";
import { ArrayName, DnsServerName, DnsZoneName, Fqdn, IPv4AddressSet, relativeRecordName, SiteName } from "./rules";

const shape = {
  site: SiteName,
  arrayName: ArrayName,
  fqdn: Fqdn,
  zone: DnsZoneName,
  dnsServer: DnsServerName,
  adopt: z.boolean({ error: "must be true or false" }).optional(),
  /** The declared addresses, when known: only for what a refusal says (never compared). */
  addresses: IPv4AddressSet.optional(),
  connection: ConnectionSchema,
  dnsConnection: ConnectionSchema,
};
const InputsSchema = z.object(shape);
export type SiteClaimInputs = z.infer<typeof InputsSchema>;

const OutputsSchema = InputsSchema;
export type SiteClaimOutputs = z.infer<typeof OutputsSchema>;

/** Every input changes in place: the claim holds no object of its own. (`addresses` only words a refusal.) */
export const siteClaimDiffRules: DiffRules<SiteClaimOutputs> = {
  site: { compare: "name" },
  arrayName: { compare: "value" },
  fqdn: { compare: "fqdn" },
  zone: { compare: "fqdn" },
  dnsServer: { compare: "name" },
  adopt: { compare: "value", default: false },
  connection: { compare: "value" },
  dnsConnection: { compare: "value" },
};

/**
 * What a claim finds where it is new: the site's array (when the site is new to it) and the A
 * records at the name (when the name is).
 */
export interface SiteFacts {
  array?: Pick<CasArray, "name" | "fqdn" | "siteName">;
  records?: string[];
}

/**
 * The brownfield rules, for a site or a name this stack does not manage yet: another array in
 * the site, and any A record at the name (whatever its address: a record the stack did not
 * create is never its own), are refused unless adopt says to take them over. An array exactly as
 * declared is the trace of an interrupted first apply and is not refused (ClientAccessArray
 * takes it as this stack's, or as adopted with adopt).
 */
export function brownfieldRefusals(
  claim: Pick<SiteClaimInputs, "site" | "arrayName" | "fqdn" | "zone" | "dnsServer" | "adopt" | "addresses">,
  facts: SiteFacts,
): CheckFailure[] {
  if (claim.adopt === true) return [];
  const failures: CheckFailure[] = [];
  const wanted = { name: claim.arrayName, fqdn: claim.fqdn, site: claim.site };
  if (facts.array !== undefined && !identical(facts.array, wanted))
    failures.push({ property: "site", reason: foreignArrayMessage(facts.array, wanted) });
  // The whole site exactly as this stack leaves it (the array as declared, only declared
  // addresses at its name) is a stack from before the claim existed: its record is in its state,
  // and refusing it would leave that stack stuck. A record that is really not the stack's is
  // still refused by DnsARecord's own create.
  const asDeclared =
    facts.array !== undefined &&
    identical(facts.array, wanted) &&
    claim.addresses !== undefined &&
    (facts.records ?? []).every((a) => claim.addresses?.includes(a) === true);
  if (facts.records !== undefined && facts.records.length > 0 && !asDeclared) {
    const relative = relativeRecordName(claim.fqdn, claim.zone);
    const name = "error" in relative ? claim.fqdn : relative.name;
    failures.push({
      property: "fqdn",
      reason: foreignMessage(facts.records, {
        addresses: claim.addresses ?? [],
        dnsServer: claim.dnsServer,
        zone: claim.zone,
        name,
      }),
    });
  }
  return failures;
}

/**
 * What is new to the claim: the site (first claim, or another site), the name (first claim, or
 * another name, zone or server).
 */
export function newToClaim(olds: Record<string, unknown>, claim: SiteClaimInputs): { site: boolean; name: boolean } {
  const site = typeof olds.site !== "string" || !sameName(olds.site, claim.site);
  const name =
    typeof olds.fqdn !== "string" ||
    !sameAs("fqdn", olds.fqdn, claim.fqdn) ||
    !sameAs("fqdn", olds.zone, claim.zone) ||
    !sameAs("name", olds.dnsServer, claim.dnsServer);
  return { site, name };
}

async function factsFor(claim: SiteClaimInputs, what: { site: boolean; name: boolean }): Promise<SiteFacts> {
  const facts: SiteFacts = {};
  // What Exchange or DNS cannot say now (unreachable, an unknown site or zone) is left to the
  // children's own checks, which ask again and report it.
  if (what.site) {
    const arrays = await listClientAccessArrays(claim.connection, claim.site).catch(() => []);
    const array = arrays[0];
    if (array !== undefined) facts.array = array;
  }
  const relative = relativeRecordName(claim.fqdn, claim.zone);
  if (what.name && !("error" in relative)) {
    const records = await getARecords(claim.dnsConnection, {
      dnsServer: claim.dnsServer,
      zone: claim.zone,
      name: relative.name,
    }).catch(() => []);
    facts.records = records.map((r) => r.address);
  }
  return facts;
}

function idOf(claim: SiteClaimInputs): string {
  return claim.site.toLowerCase();
}

export const siteClaim = {
  kind: "CasArraySiteClaim",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: siteClaimDiffRules,

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    if (failures.length > 0 || containsUnknown(inputs)) return { inputs, failures };
    const claim = parseChecked(InputsSchema, inputs, "CasArraySiteClaim");
    const what = newToClaim(olds, claim);
    if (claim.adopt === true || (!what.site && !what.name)) return { inputs, failures };
    return { inputs, failures: brownfieldRefusals(claim, await factsFor(claim, what)) };
  },

  create(raw: Record<string, unknown>) {
    const claim = parseChecked(InputsSchema, raw, "CasArraySiteClaim");
    return Promise.resolve({ id: idOf(claim), outs: plain(claim) });
  },

  read(id: string, props: SiteClaimOutputs) {
    return Promise.resolve({ id, props, inputs: plain(props) });
  },

  update(_id: string, _olds: SiteClaimOutputs, news: Record<string, unknown>) {
    return Promise.resolve({ outs: plain(parseChecked(InputsSchema, news, "CasArraySiteClaim")) });
  },

  async delete() {
    // Nothing to undo: the claim changes nothing outside the stack's state.
  },
} satisfies ResourceDefinition<SiteClaimOutputs>;
