// The engine's side of an operation on a site, as `pulumi up` / `pulumi refresh` would drive the
// dynamic-provider host: every step of a resource through gRPC, at most `parallel` resources in
// flight (the engine's default --parallel is 4 x the number of CPUs), the database settings only
// after the array and the record (they depend on both).
import type { Registration } from "../test/support/contract";
import { type Host, urnOf } from "../test/support/host";

export interface Resource {
  reg: Registration;
  urn: string;
  id: string;
  outputs: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

const typeOf = (reg: Registration) => reg.type.split(":").pop() ?? reg.type;
/** A database setting: one per database, or one for all of them (databaseResources "one"). */
const isSetting = (reg: Registration) =>
  typeOf(reg) === "MailboxDatabaseRpcSetting" || typeOf(reg) === "MailboxDatabaseRpcSettings";

/** Runs `step` for the array and the record, then for every database setting, `parallel` at a time. */
async function inOrder<T>(
  regs: Registration[],
  parallel: number,
  step: (reg: Registration) => Promise<T>,
): Promise<T[]> {
  const limiter = new Limiter(parallel);
  const first = await Promise.all(regs.filter((r) => !isSetting(r)).map((r) => limiter.run(() => step(r))));
  const then = await Promise.all(regs.filter(isSetting).map((r) => limiter.run(() => step(r))));
  return [...first, ...then];
}

/** `pulumi up` of a new site: Check then Create for each resource. */
export async function apply(host: Host, regs: Registration[], parallel: number): Promise<Resource[]> {
  return inOrder(regs, parallel, async (reg) => {
    const urn = urnOf(typeOf(reg), reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    if (checked.failures.length > 0) throw new Error(`${reg.name}: ${JSON.stringify(checked.failures)}`);
    const created = await host.create(urn, checked.inputs);
    return { reg, urn, id: created.id, outputs: created.properties, inputs: checked.inputs };
  });
}

/** `pulumi refresh`: Read of every resource. Throws if one is gone. */
export async function refresh(host: Host, resources: Resource[], parallel: number): Promise<Resource[]> {
  const limiter = new Limiter(parallel);
  return Promise.all(
    resources.map((r) =>
      limiter.run(async () => {
        const read = await host.read(r.id, r.urn, r.outputs, r.inputs);
        if (read.id === "") throw new Error(`${r.reg.name} was read as gone`);
        return { ...r, outputs: read.properties, inputs: read.inputs };
      }),
    ),
  );
}

/** `pulumi up` with nothing to do: Check and Diff of every resource; throws unless every Diff says none. */
export async function noop(host: Host, resources: Resource[], parallel: number): Promise<void> {
  const byName = new Map(resources.map((r) => [r.reg.name, r]));
  await inOrder(
    resources.map((r) => r.reg),
    parallel,
    async (reg) => {
      const r = byName.get(reg.name) as Resource;
      const checked = await host.check(r.urn, r.inputs, reg.inputs);
      const diff = await host.diff(r.id, r.urn, r.outputs, checked.inputs);
      if (diff.changes !== "none") throw new Error(`${reg.name}: the no-op apply found changes (${diff.changes})`);
    },
  );
}

/**
 * The engine boundary alone: a serialized provider whose Read runs nothing and answers with what
 * it was given, padded to `length` characters so every call carries the same bytes as the real
 * one. A refresh through it costs what any dynamic provider pays for N Reads (gRPC, protobuf, the
 * host), whatever it does itself.
 */
export function echoProvider(length: number): string {
  const code = "exports.handler = () => ({ async read(id, props) { return { id, props }; } });\n";
  return code + "//" + "x".repeat(Math.max(0, length - code.length - 2));
}

/** The same resources with another `__provider` in their inputs and outputs. */
export function withProvider(resources: Resource[], provider: string): Resource[] {
  return resources.map((r) => ({
    ...r,
    inputs: { ...r.inputs, __provider: provider },
    outputs: { ...r.outputs, __provider: provider },
  }));
}
