// The engine's steps for one resource, through the real host: Check then Create, Diff then
// Update, Read (refresh), Delete. Keeps the state the engine would keep (id, outputs, inputs).
import { expect } from "vitest";
import { Host, urnOf } from "./host";
import type { Registration } from "./contract";

export interface Applied {
  urn: string;
  id: string;
  outputs: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

export function resourceType(reg: Registration): string {
  return reg.type.split(":").pop() ?? reg.type;
}

/** The databases a program declared MailboxDatabaseRpcSettings for, sorted. */
export function declaredDatabases(regs: readonly Registration[]): unknown[] {
  return regs
    .filter((r) => resourceType(r) === "MailboxDatabaseRpcSetting")
    .map((r) => r.inputs.database)
    .sort();
}

export async function create(host: Host, reg: Registration): Promise<Applied> {
  const urn = urnOf(resourceType(reg), reg.name);
  const checked = await host.check(urn, {}, reg.inputs);
  expect(checked.failures).toEqual([]);
  const created = await host.create(urn, checked.inputs);
  return { urn, id: created.id, outputs: created.properties, inputs: checked.inputs };
}

/** Check + Diff + (Update when the diff says so), as `pulumi up` does for an existing resource. */
export async function up(host: Host, state: Applied, reg: Registration): Promise<{ state: Applied; changed: boolean }> {
  const checked = await host.check(state.urn, state.inputs, reg.inputs);
  expect(checked.failures).toEqual([]);
  const diff = await host.diff(state.id, state.urn, state.outputs, checked.inputs);
  expect(diff.replaces).toEqual([]);
  if (diff.changes !== "some") return { state: { ...state, inputs: checked.inputs }, changed: false };
  const outputs = await host.update(state.id, state.urn, state.outputs, checked.inputs);
  return { state: { ...state, outputs, inputs: checked.inputs }, changed: true };
}

/** Refresh: Read with the stored outputs and inputs; the new state, or undefined if gone. */
export async function refresh(host: Host, state: Applied): Promise<Applied | undefined> {
  const read = await host.read(state.id, state.urn, state.outputs, state.inputs);
  if (read.id === "") return undefined;
  return {
    ...state,
    id: read.id,
    outputs: read.properties,
    inputs: Object.keys(read.inputs).length ? read.inputs : state.inputs,
  };
}

export interface Outcome {
  created: string[];
  updated: string[];
  unchanged: string[];
  failed: { name: string; error: string }[];
}

/**
 * The waves in which the engine creates a CasArraySite's children: the site's claim (every other
 * child depends on it), static RPC ports, the NLB cluster, record, array, databases (one resource
 * each, or one for them all), then the verification that reads them all. Destroy goes the other way.
 */
const WAVES = [
  "CasArraySiteClaim",
  "StaticRpcPorts",
  "NlbCluster",
  "DnsARecord",
  "ClientAccessArray",
  "MailboxDatabaseRpcSetting",
  "MailboxDatabaseRpcSettings",
  "CasArrayVerification",
];
const DATABASES = WAVES.indexOf("MailboxDatabaseRpcSetting");
function wave(reg: Registration): number {
  const i = WAVES.indexOf(resourceType(reg));
  return i < 0 ? 0 : i;
}

/**
 * `pulumi up` for a set of registrations, as the engine orders a CasArraySite: the record, then
 * the array (which depends on it), then the database settings (which depend on both), each wave
 * concurrently. A failed resource is reported, not thrown; the others go on, as in the engine.
 * `state` holds what the engine would have stored, keyed by resource name.
 */
export async function applyAll(
  host: Host,
  regs: Registration[],
  state: Map<string, Applied>,
  sequentialDatabases = false,
): Promise<Outcome> {
  const outcome: Outcome = { created: [], updated: [], unchanged: [], failed: [] };
  const isDatabase = (r: Registration) => resourceType(r) === "MailboxDatabaseRpcSetting";
  const one = async (reg: Registration) => {
    try {
      const existing = state.get(reg.name);
      if (existing === undefined) {
        state.set(reg.name, await create(host, reg));
        outcome.created.push(reg.name);
      } else {
        const { state: next, changed } = await up(host, existing, reg);
        state.set(reg.name, next);
        (changed ? outcome.updated : outcome.unchanged).push(reg.name);
      }
    } catch (e) {
      outcome.failed.push({ name: reg.name, error: e instanceof Error ? e.message : String(e) });
    }
  };
  for (let w = 0; w < DATABASES; w++) await Promise.all(regs.filter((r) => !isDatabase(r) && wave(r) === w).map(one));
  const databases = regs.filter(isDatabase).sort((a, b) => a.name.localeCompare(b.name));
  if (sequentialDatabases) for (const reg of databases) await one(reg);
  else await Promise.all(databases.map(one));
  for (let w = DATABASES + 1; w < WAVES.length; w++) await Promise.all(regs.filter((r) => wave(r) === w).map(one));
  for (const list of [outcome.created, outcome.updated, outcome.unchanged]) list.sort();
  return outcome;
}

export interface Preview {
  /** Check failures, as the engine prints them: resource name, property, reason. */
  failures: { name: string; property: string; reason: string }[];
  creates: string[];
  updates: string[];
  /** In state but no longer registered: the engine deletes them. */
  deletes: string[];
}

/** `pulumi preview`: Check for every registration (with its state's inputs as olds), Diff for those in state. */
export async function preview(host: Host, regs: Registration[], state: Map<string, Applied>): Promise<Preview> {
  const out: Preview = { failures: [], creates: [], updates: [], deletes: [] };
  await Promise.all(
    regs.map(async (reg) => {
      const existing = state.get(reg.name);
      const urn = existing?.urn ?? urnOf(resourceType(reg), reg.name);
      const checked = await host.check(urn, existing?.inputs ?? {}, reg.inputs);
      out.failures.push(...checked.failures.map((f) => ({ name: reg.name, ...f })));
      if (existing === undefined) out.creates.push(reg.name);
      else if ((await host.diff(existing.id, urn, existing.outputs, checked.inputs)).changes !== "none")
        out.updates.push(reg.name);
    }),
  );
  const names = new Set(regs.map((r) => r.name));
  out.deletes = [...state.keys()].filter((n) => !names.has(n));
  for (const list of [out.creates, out.updates, out.deletes]) list.sort();
  return out;
}

/** Deletes what the engine deletes: `names` (default: everything in state), dependents first (verification, databases, array, record, ports, claim). */
export async function destroy(
  host: Host,
  state: Map<string, Applied>,
  names: string[] = [...state.keys()],
): Promise<void> {
  const order = (name: string) => {
    const urn = state.get(name)?.urn ?? "";
    const type = WAVES.find((t) => urn.includes(`:${t}::`));
    return type === undefined ? 0 : WAVES.length - WAVES.indexOf(type);
  };
  for (const name of [...names].sort((a, b) => order(a) - order(b))) {
    const s = state.get(name);
    if (s === undefined) continue;
    await host.delete(s.id, s.urn, s.outputs);
    state.delete(name);
  }
}
