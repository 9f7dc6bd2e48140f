// The provider object Pulumi serializes into state for every dynamic resource. It must stay
// thin: each method loads the runtime by package name when called, so state holds no schema, no
// Map, no process handle, no secret, and refresh/destroy run the installed code, not old code.
// Only `kind` (a string) is captured. `require` is deliberate: it is kept as text by the closure
// serializer and resolves from the host's working directory (the project root).
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as pulumi from "@pulumi/pulumi";
import type * as runtime from "../runtime";

type Props = Record<string, unknown>;

export function thinProvider(kind: runtime.ResourceKind): pulumi.dynamic.ResourceProvider {
  return {
    configure(req) {
      (require("exchange-cas/runtime") as typeof runtime).configure(req.config);
      return Promise.resolve();
    },
    async check(olds: Props, news: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].check(olds, news);
    },
    async diff(id, olds: Props, news: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].diff(id, olds, news);
    },
    async create(inputs: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].create(inputs);
    },
    async read(id, props?: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].read(id, props ?? {});
    },
    async update(id, olds: Props, news: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].update(id, olds, news);
    },
    async delete(id, props: Props) {
      return (require("exchange-cas/runtime") as typeof runtime).resources[kind].delete(id, props);
    },
  };
}
