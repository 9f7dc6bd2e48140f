// The provider Pulumi keeps in state for every dynamic resource: the `__provider` text, stored in
// the inputs and in the outputs of each resource, so twice per database of a site. It must stay
// thin: each method loads the runtime by package name when called, so state holds no schema, no
// Map, no process handle, no secret, and refresh/destroy run the installed code, not old code.
//
// The text is written here rather than produced by the closure serializer (what
// pulumi.dynamic.Resource does): the serializer wraps every method in its own `with` scope and
// `.apply` chain, 2,688 bytes for seven one-line methods; this is the same module in about 700.
// The dynamic-provider host loads it as the SDK's own (require-from-string, then `.handler()`,
// the result cached per text) and `require` resolves from the host's working directory (the
// project root), as it did in the serializer's text. Only `kind` (a string literal) is in it.
import * as pulumi from "@pulumi/pulumi";
import type * as runtime from "../runtime";
import { ExchangeCasError } from "../errors";

/** What a resource class gives DynamicResource: its kind and the `__provider` text for it. */
export interface ThinProvider {
  readonly kind: runtime.ResourceKind;
  readonly text: string;
}

/** The `__provider` text of a resource kind (see the top of this file). */
export function providerText(kind: runtime.ResourceKind): string {
  const call = (method: string, params: string, args = params) =>
    `${method}: async (${params}) => r().resources[k].${method}(${args})`;
  return [
    `exports.handler = () => {`,
    `  const k = ${JSON.stringify(kind)};`,
    `  const r = () => require("exchange-cas/runtime");`,
    `  return {`,
    `    configure: async (req) => r().configure(req.config),`,
    `    ${call("check", "olds, news")},`,
    `    ${call("diff", "id, olds, news")},`,
    `    ${call("create", "inputs")},`,
    `    ${call("read", "id, props", "id, props || {}")},`,
    `    ${call("update", "id, olds, news")},`,
    `    ${call("delete", "id, props")},`,
    `  };`,
    `};`,
    ``,
  ].join("\n");
}

export function thinProvider(kind: runtime.ResourceKind): ThinProvider {
  return { kind, text: providerText(kind) };
}

/**
 * pulumi.dynamic.Resource with the thin `__provider` text: the same type token
 * (`pulumi-nodejs:dynamic/<module>:<type>`), so the engine hands it to the same dynamic-provider
 * host, and the same constructor arguments.
 */
export class DynamicResource extends pulumi.CustomResource {
  constructor(
    provider: ThinProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if ("__provider" in props && props.__provider !== undefined)
      throw new ExchangeCasError("internal-error", "A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider.text }, opts);
  }
}
