// ClientAccessArray: the AD object that gives an AD site's RPC Client Access endpoint its name.
// Identity is the array's Guid; Name, Fqdn and Site are all changed in place (Set-ClientAccessArray).
import { z } from "zod";
import {
  getClientAccessArray,
  listClientAccessArrays,
  newClientAccessArray,
  removeClientAccessArray,
  setClientAccessArray,
  type CasArray,
} from "../exchange";
import { ConnectionSchema, type Connection } from "../shell";
import { checkProperties, parseChecked, plain } from "./check";
import { ArrayName, Fqdn, SiteName } from "./rules";

const shape = {
  name: ArrayName.optional(),
  fqdn: Fqdn,
  site: SiteName,
  adopt: z.boolean().optional(),
  connection: ConnectionSchema,
};
const InputsSchema = z.object(shape);
export type ClientAccessArrayInputs = z.infer<typeof InputsSchema> & { name: string };

export interface ClientAccessArrayOutputs {
  arrayName: string;
  fqdn: string;
  site: string;
  siteName: string;
  members: string[];
  guid: string;
  distinguishedName: string;
  exchangeLegacyDn: string;
  adopt?: boolean;
  connection: Connection;
}

function parseInputs(inputs: unknown): ClientAccessArrayInputs {
  const parsed = parseChecked(InputsSchema, inputs, "ClientAccessArray");
  return { ...parsed, name: parsed.name ?? defaultName(parsed.fqdn) };
}

/** Exchange's default: the host label of the FQDN (outlook-ho.contoso.com → outlook-ho). */
function defaultName(fqdn: string): string {
  return fqdn.split(".")[0] ?? fqdn;
}

function outputs(array: CasArray, inputs: Pick<ClientAccessArrayInputs, "adopt" | "connection">): ClientAccessArrayOutputs {
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
    connection: inputs.connection,
  });
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** What Set-ClientAccessArray must change to turn `actual` into `wanted`. */
function changesFor(actual: CasArray, wanted: ClientAccessArrayInputs): { name?: string; fqdn?: string; site?: string } {
  return {
    ...(actual.name !== wanted.name ? { name: wanted.name } : {}),
    ...(!same(actual.fqdn, wanted.fqdn) ? { fqdn: wanted.fqdn } : {}),
    ...(!same(actual.siteName, wanted.site) ? { site: wanted.site } : {}),
  };
}

async function readBack(connection: Connection, guid: string, action: string): Promise<CasArray> {
  const array = await getClientAccessArray(connection, guid);
  if (array === undefined) throw new Error(`The CAS array ${guid} was ${action} but Exchange no longer finds it.`);
  return array;
}

export const clientAccessArray = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    if (inputs.name === undefined && typeof inputs.fqdn === "string" && !failures.some((f) => f.property === "fqdn")) {
      inputs.name = defaultName(inputs.fqdn);
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: ClientAccessArrayOutputs, news: Record<string, unknown>) {
    const replaces: string[] = [];
    const changed =
      news.name !== olds.arrayName ||
      typeof news.fqdn !== "string" ||
      !same(news.fqdn, olds.fqdn) ||
      typeof news.site !== "string" ||
      !same(news.site, olds.siteName) ||
      JSON.stringify(news.connection) !== JSON.stringify(olds.connection);
    return { changes: changed, replaces, deleteBeforeReplace: false };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseInputs(raw);
    const { connection } = inputs;
    let guid: string;
    const existing = inputs.adopt === true ? (await listClientAccessArrays(connection, inputs.site))[0] : undefined;
    if (existing !== undefined) {
      // Brownfield: take over the site's array and converge it.
      await setClientAccessArray(connection, existing.guid, changesFor(existing, inputs));
      guid = existing.guid;
    } else {
      guid = (await newClientAccessArray(connection, inputs)).guid;
    }
    const array = await readBack(connection, guid, "created");
    return { id: array.guid, outs: outputs(array, inputs) };
  },

  async read(id: string, props: ClientAccessArrayOutputs) {
    const connection = parseChecked(ConnectionSchema, props.connection, "ClientAccessArray connection");
    const array = await getClientAccessArray(connection, id);
    if (array === undefined) return { id: "" };
    const outs = outputs(array, { adopt: props.adopt, connection });
    const inputs = plain({ name: array.name, fqdn: array.fqdn, site: array.siteName, adopt: props.adopt, connection });
    return { id, props: outs, inputs };
  },

  async update(id: string, _olds: ClientAccessArrayOutputs, news: Record<string, unknown>) {
    const inputs = parseInputs(news);
    const { connection } = inputs;
    const actual = await getClientAccessArray(connection, id);
    if (actual === undefined) {
      throw new Error(
        `The CAS array ${id} no longer exists in Exchange; run 'pulumi refresh' so it is created again on the next 'pulumi up'.`,
      );
    }
    await setClientAccessArray(connection, id, changesFor(actual, inputs));
    const array = await readBack(connection, id, "updated");
    return { outs: outputs(array, inputs) };
  },

  async delete(id: string, props: ClientAccessArrayOutputs) {
    const connection = parseChecked(ConnectionSchema, props.connection, "ClientAccessArray connection");
    await removeClientAccessArray(connection, id);
  },
};
