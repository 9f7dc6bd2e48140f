// One helper that every resource's diff goes through. Each resource declares, beside its input
// schema, a DiffRules table: for each input, how it compares with what state holds (as a value,
// as a name whose case does not count, as an FQDN whose case and trailing dot do not count, as a
// set of IPv4 addresses or of names), what a value left out stands for, and whether a change means another
// object (a replace). diffInputs applies the table; no Exchange, no pwsh, so unit tests and
// mutation testing reach it. What needs the servers (StaticRpcPorts' survey) is added by the
// resource.
import { compareIPv4 } from "./rules";

type Props = Record<string, unknown>;

/** How an input is compared with the value state holds for it. */
export type Comparison =
  /** The same JSON value; the key order of objects (a connection) does not count. */
  | "value"
  /** The same string but for case (Exchange and DNS names); anything but two strings differs. */
  | "name"
  /** The same host name but for case and a trailing dot. */
  | "fqdn"
  /** The same IPv4 addresses in any order. */
  | "ipv4Set"
  /** Never a change: an input about how the resource reports (plannedBySite), not about what it manages. */
  | "ignored"
  /** The same names in any order, case not counting (a set of databases). */
  | "nameSet";

export interface PropertyRule<O> {
  compare: Comparison;
  /** The state property that holds the value applied, when it is not the input's own name. */
  state?: keyof O & string;
  /** Another state property whose value also matches (a database named by its Guid). */
  alsoState?: keyof O & string;
  /** What a value left out stands for, on either side. */
  default?: unknown;
  /** A change means another object: the resource is replaced. */
  replaces?: true;
}

/** Every input of a resource, with its rule. */
export type DiffRules<O> = Readonly<Record<string, PropertyRule<O>>>;

export interface InputDiff {
  /** Whether anything differs (an input, or drift the resource reported). */
  changes: boolean;
  /** The inputs whose change replaces the resource, in the table's order. */
  replaces: string[];
  /** Every input that differs, in the table's order. */
  changed: string[];
}

/** JSON with object keys sorted, so two values that differ only in key order are one. */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    // An object's keys are distinct, so two keys are never equal here.
    return Object.fromEntries(Object.entries(v as Props).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
}

function hostName(value: string): string {
  return value.toLowerCase().replace(/\.$/, "");
}

/** Whether `a` (an input) and `b` (what state holds) are the same under `compare`. */
export function sameAs(compare: Comparison, a: unknown, b: unknown): boolean {
  switch (compare) {
    case "value":
      return canonicalJson(a) === canonicalJson(b);
    case "name":
      return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
    case "fqdn":
      return typeof a === "string" && typeof b === "string" && hostName(a) === hostName(b);
    case "ignored":
      return true;
    case "nameSet": {
      const names = (v: unknown) =>
        Array.isArray(v) && v.every((x) => typeof x === "string")
          ? [...new Set(v.map((x) => x.toLowerCase()))].sort()
          : v;
      return canonicalJson(names(a)) === canonicalJson(names(b));
    }
    case "ipv4Set": {
      const sorted = (v: unknown) =>
        Array.isArray(v) && v.every((x) => typeof x === "string") ? [...v].sort(compareIPv4) : v;
      return canonicalJson(sorted(a)) === canonicalJson(sorted(b));
    }
  }
}

/** Two Exchange or DNS names that are one: equal but for case. */
export function sameName(a: string, b: string): boolean {
  return sameAs("name", a, b);
}

/**
 * Compares the new inputs with the stored outputs under `rules`. `drift` is what the resource
 * found in state itself (a value Exchange reports other than the one applied): a change with no
 * input changed.
 */
export function diffInputs<O extends object>(rules: DiffRules<O>, olds: O, news: Props, drift = false): InputDiff {
  const stored = olds as Props;
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [property, rule] of Object.entries(rules)) {
    const wanted = news[property] ?? rule.default;
    const held = stored[rule.state ?? property] ?? rule.default;
    const also = rule.alsoState !== undefined && sameAs(rule.compare, wanted, stored[rule.alsoState]);
    if (sameAs(rule.compare, wanted, held) || also) continue;
    changed.push(property);
    if (rule.replaces === true) replaces.push(property);
  }
  return { changes: changed.length > 0 || drift, replaces, changed };
}
