// ClientAccessArray: the AD object that gives an AD site's RPC Client Access endpoint its name.
// Identity is the array's Guid; Name, Fqdn and Site are all changed in place (Set-ClientAccessArray).
//
// Ownership: an array this resource created is removed on delete, and before that every database
// pointing at it is put back (to the value in `restore`, or to its own server), so no Outlook
// client is left with a name that no longer exists. An array it took over (`adopt`) is released
// on delete: it stays in Exchange. `onDelete: "retain"` releases a created array too.
import { z } from "zod";
import {
  getClientAccessArray,
  listClientAccessArrays,
  listExchangeServers,
  listMailboxDatabases,
  newClientAccessArray,
  removeClientAccessArray,
  setClientAccessArray,
  setRpcClientAccessServer,
  type CasArray,
} from "../exchange";
import { ConnectionSchema, type Connection } from "../shell";
import { checkProperties, containsUnknown, parseChecked, plain, type CheckFailure } from "./check";
import type { ResourceDefinition } from "./contract";
import { sameName, type DiffRules } from "./diff";
import { warn } from "./log";
import {
  ArrayName,
  ExchangeName,
  Fqdn,
  OnDelete,
  OnDeleteState,
  RpcClientAccessServerName,
  SiteName,
  PlannedBySite,
} from "./rules";
import { ExchangeCasError } from "../errors";
import { arrayTakenOver } from "../messages";

const RestoreEntry = z.object({ database: ExchangeName, rpcClientAccessServer: RpcClientAccessServerName });
type RestoreEntry = z.infer<typeof RestoreEntry>;

const shape = {
  name: ArrayName.optional(),
  fqdn: Fqdn,
  site: SiteName,
  adopt: z.boolean().optional(),
  /** The values databases had before they pointed at this array: put back when it is removed. */
  restore: z.array(RestoreEntry, { error: "must be a list of {database, rpcClientAccessServer}" }).optional(),
  onDelete: OnDelete("remove the array if this stack created it, putting its databases back", "leave it").optional(),
  connection: ConnectionSchema,
  /**
   * Set by CasArraySite: its plan has said what adopting the site's array changes, so the preview
   * does not say it twice.
   */
  plannedBySite: PlannedBySite,
};
const InputsSchema = z.object(shape);
export type ClientAccessArrayInputs = z.infer<typeof InputsSchema> & { name: string };

const OutputsSchema = z.object({
  arrayName: z.string(),
  fqdn: z.string(),
  site: z.string(),
  siteName: z.string(),
  members: z.array(z.string()),
  guid: z.string(),
  distinguishedName: z.string(),
  exchangeLegacyDn: z.string(),
  adopt: z.boolean().optional(),
  /** Whether this resource took over an array that existed before it (released, not removed, on delete). */
  adopted: z.boolean().optional(),
  restore: z.array(RestoreEntry).optional(),
  onDelete: OnDeleteState.optional(),
  connection: ConnectionSchema,
});
export type ClientAccessArrayOutputs = z.infer<typeof OutputsSchema>;

/**
 * How diff compares each input with state. Name, FQDN and site all change in place
 * (Set-ClientAccessArray): nothing replaces the array, whose Guid databases keep pointing at.
 */
export const clientAccessArrayDiffRules: DiffRules<ClientAccessArrayOutputs> = {
  name: { compare: "value", state: "arrayName" },
  fqdn: { compare: "fqdn" },
  site: { compare: "name", state: "siteName" },
  adopt: { compare: "value", default: false },
  restore: { compare: "value", default: [] },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  plannedBySite: { compare: "ignored" },
};

function parseInputs(inputs: unknown): ClientAccessArrayInputs {
  const parsed = parseChecked(InputsSchema, inputs, "ClientAccessArray");
  return { ...parsed, name: parsed.name ?? defaultName(parsed.fqdn) };
}

/** Exchange's default: the host label of the FQDN (outlook-ho.contoso.com → outlook-ho). */
function defaultName(fqdn: string): string {
  return fqdn.split(".")[0] ?? fqdn;
}

type Kept = Pick<ClientAccessArrayOutputs, "adopt" | "adopted" | "restore" | "onDelete" | "connection">;

function outputs(array: CasArray, inputs: Kept): ClientAccessArrayOutputs {
  return plain({
    arrayName: array.name,
    fqdn: array.fqdn,
    site: array.site,
    siteName: array.siteName,
    members: array.members,
    guid: array.guid,
    distinguishedName: array.distinguishedName,
    exchangeLegacyDn: array.exchangeLegacyDn,
    adopt: inputs.adopt,
    adopted: inputs.adopted,
    restore: inputs.restore,
    onDelete: inputs.onDelete,
    connection: inputs.connection,
  });
}

/** The array exactly as declared: name, FQDN and site. */
export function identical(
  array: Pick<CasArray, "name" | "fqdn" | "siteName">,
  wanted: { name: string; fqdn: string; site: string },
): boolean {
  return array.name === wanted.name && sameName(array.fqdn, wanted.fqdn) && sameName(array.siteName, wanted.site);
}

function describeChanges(array: Pick<CasArray, "name" | "fqdn">, wanted: { name: string; fqdn: string }): string {
  const changes: string[] = [];
  if (array.name !== wanted.name) changes.push(`renamed to '${wanted.name}'`);
  if (!sameName(array.fqdn, wanted.fqdn)) changes.push(`its FQDN changed from ${array.fqdn} to ${wanted.fqdn}`);
  return changes.join(" and ");
}

/** The refusal of a site that already has another array (without adopt). */
export function foreignArrayMessage(
  array: Pick<CasArray, "name" | "fqdn">,
  wanted: { name: string; fqdn: string; site: string },
): string {
  return (
    `Site ${wanted.site} already has CAS array '${array.name}' (${array.fqdn}), ` +
    "which this stack does not manage, and Exchange allows one array per site. " +
    `Set adopt: true to take it over (it will be ${describeChanges(array, wanted)}), ` +
    `or declare it as it is (name '${array.name}', fqdn ${array.fqdn}).`
  );
}

/** The restore list as kept: earlier entries win (they were recorded before the array took the database over). */
function mergeRestore(olds: unknown, news: unknown): RestoreEntry[] | undefined {
  const earlier = RestoreEntry.array().safeParse(olds);
  const later = RestoreEntry.array().safeParse(news);
  if (!later.success) return undefined;
  const kept = new Map<string, RestoreEntry>();
  for (const e of earlier.success ? earlier.data : []) kept.set(e.database.toLowerCase(), e);
  for (const e of later.data) if (!kept.has(e.database.toLowerCase())) kept.set(e.database.toLowerCase(), e);
  return [...kept.values()].sort((a, b) => a.database.localeCompare(b.database));
}

/** What Set-ClientAccessArray must change to turn `actual` into `wanted`. */
function changesFor(
  actual: CasArray,
  wanted: ClientAccessArrayInputs,
): { name?: string; fqdn?: string; site?: string } {
  return {
    ...(actual.name !== wanted.name ? { name: wanted.name } : {}),
    ...(!sameName(actual.fqdn, wanted.fqdn) ? { fqdn: wanted.fqdn } : {}),
    ...(!sameName(actual.siteName, wanted.site) ? { site: wanted.site } : {}),
  };
}

async function readBack(connection: Connection, guid: string, action: string): Promise<CasArray> {
  const array = await getClientAccessArray(connection, guid);
  if (array === undefined)
    throw new ExchangeCasError(
      "gone-after-write",
      `The CAS array ${guid} was ${action} but Exchange no longer finds it.`,
      { guid },
    );
  return array;
}

/**
 * Before a create (nothing in state yet), what Exchange already has in the site: the declared
 * array itself (an earlier apply, perhaps interrupted: taken as this stack's), another array
 * (refused without adopt; with adopt the preview says what changes), or nothing.
 */
async function checkExisting(inputs: ClientAccessArrayInputs): Promise<CheckFailure[]> {
  let existing: CasArray | undefined;
  try {
    existing = (await listClientAccessArrays(inputs.connection, inputs.site))[0];
  } catch {
    // Exchange cannot say now (unreachable, an unknown site...): create asks again and reports it.
    return [];
  }
  if (existing === undefined) return [];
  if (identical(existing, inputs) && inputs.adopt === true) {
    warn(
      `CAS array '${existing.name}' (${existing.fqdn}) ` +
        `of site ${inputs.site} is exactly as declared: ` +
        "it will be taken over as it is (adopt); on destroy it is released, not removed.",
    );
    return [];
  }
  if (identical(existing, inputs)) {
    warn(
      `CAS array '${existing.name}' (${existing.fqdn}) ` +
        `already exists in site ${inputs.site}, exactly as declared (an earlier apply ` +
        "was probably interrupted): it will be taken as this stack's array and removed " +
        "when the stack is destroyed.",
    );
    return [];
  }
  if (inputs.adopt !== true) return [{ property: "site", reason: foreignArrayMessage(existing, inputs) }];
  // Once per operation: a CasArraySite's plan has said it already, with the site's other facts.
  if (inputs.plannedBySite !== true) warn(arrayTakenOver(existing, inputs.site, describeChanges(existing, inputs)));
  return [];
}

/** What a database pointing at the array is given back on delete, and what to say about it. */
export interface RestoreTarget {
  /** The value to set; undefined: leave the database as it is. */
  value?: string;
  /** A warning to give (the recorded value could not be used). */
  note?: string;
}

type Named = { name: string; fqdn: string };

/**
 * Where a database that points at `array` goes when the array is released (`removing` false: an
 * adopted array, which stays) or removed. The recorded earlier value first, but only while it
 * still names an existing CAS array or server: a value that names nothing any more (an adopted
 * array renamed since, a server decommissioned) would fail Set-MailboxDatabase on every destroy.
 * Such a value is replaced by what the adopted array is now called (the same object, renamed),
 * or, when the array is removed, by a Client Access server of the database's own site.
 */
export function restoreTarget(
  db: { name: string; server: string },
  recorded: string | undefined,
  array: Named,
  removing: boolean,
  found: { servers: (Named & { siteName: string; isClientAccessServer: boolean })[]; arrays: Named[] },
): RestoreTarget {
  const names = (o: Named, value: string) => sameName(o.fqdn, value) || sameName(o.name, value);
  const usable = recorded !== undefined && !names(array, recorded) ? recorded : undefined;
  const exists =
    usable !== undefined &&
    [...found.servers, ...found.arrays.filter((a) => !names(a, array.fqdn))].some((o) => names(o, usable));
  if (usable !== undefined && exists) return { value: usable };
  const stale =
    usable !== undefined
      ? `its recorded earlier value ${usable} no longer names an existing CAS array or server`
      : undefined;
  if (!removing) {
    if (stale === undefined) return {};
    return {
      note:
        `Mailbox database '${db.name}': ${stale} (the adopted array was probably renamed ` +
        `from it), so it stays on ${array.fqdn}, what the adopted array '${array.name}' ` +
        "is called now.",
    };
  }
  const own = found.servers.find((s) => sameName(s.name, db.server));
  const cas =
    own?.isClientAccessServer === true
      ? own
      : found.servers.find((s) => s.isClientAccessServer && own !== undefined && sameName(s.siteName, own.siteName));
  if (cas === undefined) return {};
  return {
    value: cas.fqdn,
    ...(stale !== undefined
      ? {
          note:
            `Mailbox database '${db.name}': ${stale}, so it goes to ${cas.fqdn}, ` +
            "a Client Access server of its site, instead.",
        }
      : {}),
  };
}

/**
 * Every database pointing at the array goes back to its recorded value, or to a Client Access
 * server of its own site.
 */
async function releaseDatabases(
  connection: Connection,
  array: Pick<CasArray, "name" | "fqdn">,
  restore: RestoreEntry[],
  removing: boolean,
): Promise<void> {
  const databases = (await listMailboxDatabases(connection)).filter((d) =>
    sameName(d.rpcClientAccessServer, array.fqdn),
  );
  if (databases.length === 0) return;
  const recorded = new Map(restore.map((e) => [e.database.toLowerCase(), e.rpcClientAccessServer]));
  const [servers, arrays] = await Promise.all([listExchangeServers(connection), listClientAccessArrays(connection)]);
  for (const db of databases) {
    const target = restoreTarget(db, recorded.get(db.name.toLowerCase()), array, removing, { servers, arrays });
    if (target.note !== undefined) warn(target.note);
    if (target.value === undefined) {
      if (removing) {
        throw new ExchangeCasError(
          "restore-failed",
          `Mailbox database '${db.name}' points at CAS array ${array.fqdn} and no Client ` +
            "Access server of its site was found to point it at; " +
            "set its RpcClientAccessServer before removing the array.",
          { database: db.name, array: array.fqdn },
        );
      }
      continue;
    }
    await setRpcClientAccessServer(connection, db.guid, target.value, db.name);
    warn(
      `Mailbox database '${db.name}': RpcClientAccessServer put back from ` +
        `${array.fqdn} to ${target.value}. Existing Outlook profiles keep connecting to ` +
        `${array.fqdn} until they are repaired.`,
    );
  }
}

export const clientAccessArray = {
  kind: "ClientAccessArray",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: clientAccessArrayDiffRules,

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    if (inputs.name === undefined && typeof inputs.fqdn === "string" && !failures.some((f) => f.property === "fqdn")) {
      inputs.name = defaultName(inputs.fqdn);
    }
    if (!failures.some((f) => f.property === "restore") && !containsUnknown(inputs.restore)) {
      const merged = mergeRestore(olds.restore, inputs.restore ?? []);
      if (merged !== undefined && merged.length > 0) inputs.restore = merged;
      else delete inputs.restore;
    }
    // A create (nothing in state): look at what the site already has, so the preview says it.
    const isCreate = olds.fqdn === undefined && olds.site === undefined;
    if (isCreate && failures.length === 0 && !containsUnknown(inputs)) {
      failures.push(...(await checkExisting(parseInputs(inputs))));
    }
    return { inputs, failures };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseInputs(raw);
    const { connection } = inputs;
    let guid: string;
    let adopted = false;
    const existing = (await listClientAccessArrays(connection, inputs.site))[0];
    if (existing !== undefined && identical(existing, inputs)) {
      // The declared array exists already: an earlier apply of this stack was interrupted, or,
      // with adopt, it may have been there before the stack: then it is released, never removed.
      guid = existing.guid;
      adopted = inputs.adopt === true;
    } else if (existing !== undefined && inputs.adopt === true) {
      // Brownfield: take over the site's array and converge it.
      await setClientAccessArray(connection, existing.guid, changesFor(existing, inputs));
      guid = existing.guid;
      adopted = true;
    } else if (existing !== undefined) {
      throw new ExchangeCasError("foreign-object", foreignArrayMessage(existing, inputs), {
        site: inputs.site,
        array: existing.name,
      });
    } else {
      guid = (await newClientAccessArray(connection, inputs)).guid;
    }
    const array = await readBack(connection, guid, "created");
    return { id: array.guid, outs: outputs(array, { ...inputs, adopted }) };
  },

  async read(id: string, props: ClientAccessArrayOutputs) {
    const { connection } = props;
    const array = await getClientAccessArray(connection, id);
    if (array === undefined) return { id: "" };
    const outs = outputs(array, { ...props, connection });
    const inputs = plain({
      name: array.name,
      fqdn: array.fqdn,
      site: array.siteName,
      adopt: props.adopt,
      restore: props.restore,
      onDelete: props.onDelete,
      connection,
    });
    return { id, props: outs, inputs };
  },

  async update(id: string, olds: ClientAccessArrayOutputs, news: Record<string, unknown>) {
    const inputs = parseInputs(news);
    const { connection } = inputs;
    const actual = await getClientAccessArray(connection, id);
    if (actual === undefined) {
      throw new ExchangeCasError(
        "gone",
        `The CAS array ${id} no longer exists in Exchange; ` +
          "run 'pulumi refresh' so it is created again on the next 'pulumi up'.",
        { guid: id },
      );
    }
    await setClientAccessArray(connection, id, changesFor(actual, inputs));
    const array = await readBack(connection, id, "updated");
    return { outs: outputs(array, { ...inputs, adopted: olds.adopted }) };
  },

  async delete(id: string, props: ClientAccessArrayOutputs) {
    const { connection } = props;
    const array = await getClientAccessArray(connection, id);
    if (array === undefined) return;
    const restore = props.restore ?? [];
    if (props.adopted === true || props.onDelete === "retain") {
      // Released, not removed: it was there before this stack (or the site says retain).
      if (props.onDelete !== "retain") await releaseDatabases(connection, array, restore, false);
      warn(
        `CAS array '${array.name}' (${array.fqdn}) is released, not removed: ` +
          `${props.adopted === true ? "it existed before this stack took it over" : "onDelete is retain"}. ` +
          "It stays in Exchange.",
      );
      return;
    }
    // No database may be left pointing at a name that is about to disappear.
    await releaseDatabases(connection, array, restore, true);
    await removeClientAccessArray(connection, id);
  },
} satisfies ResourceDefinition<ClientAccessArrayOutputs>;
