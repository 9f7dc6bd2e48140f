// The contract between the engine and a resource kind. The engine (through the serialized thin
// provider) passes plain records; a resource is written against its own types: it declares the
// zod schema of the outputs it keeps in state, and `runtimeOf` parses state with it before
// diff, read, update and delete see it. A state that does not parse is refused with its kind and
// the property named, never read as if it were something else.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { checkProperties } from "./check";
import { diffInputs, type DiffRules, type InputDiff } from "./diff";
import { ExchangeCasError } from "../errors";

export type Props = Record<string, unknown>;

/** The dynamic-provider methods one resource kind implements, as the engine calls them. */
export interface ResourceRuntime {
  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Props): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult>;
  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: Props): Promise<void>;
}

/** One resource kind as written: its state schema, and methods that take parsed state. */
export interface ResourceDefinition<O extends object> {
  /** The type name users see (ClientAccessArray). */
  kind: string;
  /** Each input's schema: check validates property by property (checkProperties). */
  inputs: Record<string, z.ZodType>;
  /** What the resource keeps in state. */
  outputs: z.ZodType<O>;
  /** How diff compares each input with state, and which inputs replace. */
  diffRules: DiffRules<O>;
  /** Drift found in state itself (a value Exchange reports other than the one applied). */
  drift?(olds: O, news: Props): boolean;
  /** A check of its own, when validating the inputs is not all (a create that looks at Exchange first). */
  check?(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult>;
  /** A diff of its own, when it must read the servers; by default diffRules and drift decide. */
  diff?(id: string, olds: O, news: Props): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Props): Promise<{ id: string; outs: O }>;
  read(id: string, props: O): Promise<{ id: string; props?: O; inputs?: Props }>;
  update(id: string, olds: O, news: Props): Promise<{ outs: O }>;
  delete(id: string, props: O): Promise<void>;
}

/** Parses what state holds for a resource of `kind`; a failure names the property. */
export function parseState<O>(schema: z.ZodType<O>, props: unknown, kind: string): O {
  const parsed = schema.safeParse(props);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : ` (${issue.path.map(String).join(".")})`;
    throw new ExchangeCasError(
      "invalid-state",
      `The stack's state for this ${kind} is not what exchange-cas keeps${where}: ` +
        `${issue?.message ?? "invalid"}. It was written by another version or edited by ` +
        "hand; run 'pulumi refresh' with the version that wrote it, " +
        "or remove the resource from the stack ('pulumi state delete') " +
        "and declare it again.",
      { kind, property: issue?.path.map(String).join(".") ?? "" },
    );
  }
  return parsed.data;
}

/** What diff decides from state alone: the declared rules, and the drift the resource reports. */
export function diffState<O extends object>(
  definition: Pick<ResourceDefinition<O>, "diffRules" | "drift">,
  olds: O,
  news: Props,
): InputDiff {
  return diffInputs(definition.diffRules, olds, news, definition.drift?.(olds, news) ?? false);
}

/** The engine-facing methods of a resource kind: state parsed before each method sees it. */
export function runtimeOf<O extends object>(definition: ResourceDefinition<O>): ResourceRuntime {
  const state = (props: Props): O => parseState(definition.outputs, props, definition.kind);
  return {
    check: async (olds, news) =>
      definition.check !== undefined ? definition.check(olds, news) : checkProperties(definition.inputs, news),
    diff: async (id, olds, news) => {
      const parsed = state(olds);
      if (definition.diff !== undefined) return definition.diff(id, parsed, news);
      // Replacements create the new object first: the old one keeps serving until it exists.
      const { changes, replaces } = diffState(definition, parsed, news);
      return { changes, replaces, deleteBeforeReplace: false };
    },
    create: async (inputs) => definition.create(inputs),
    read: async (id, props) => definition.read(id, state(props)),
    update: async (id, olds, news) => definition.update(id, state(olds), news),
    delete: async (id, props) => definition.delete(id, state(props)),
  };
}
