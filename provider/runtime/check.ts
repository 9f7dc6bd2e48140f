// Property-by-property validation for `check`: each input is validated by its own schema so
// every failure names its property, and a value still unknown during preview is left alone.
import { z } from "zod";
import { ExchangeCasError } from "../errors";

/** The engine's sentinel for a value that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

type Issue = { message: string; path: readonly PropertyKey[] };

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Whether `message` names `item` as a whole word (10.1.0.3 is not named by "... 10.1.0.30 ..."). */
function namesItem(message: string, item: string): boolean {
  const escaped = item.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w.])${escaped}($|[^\\w.])`).test(message);
}

/**
 * One validation issue of `value` (the value of `property`) as a sentence part: the message, and
 * where in the value it is, in words ("item 2 of addresses", "in connection.connectionUri"),
 * unless the message already names it (a list item's own value, such as "10.1.0.300 is not an
 * IPv4 address: …", or the setting's name, such as "kind \"lba\" is not a connection kind").
 */
export function describeIssue(issue: Issue, property: string, value: unknown): string {
  let path = issue.path.filter((s): s is string | number => typeof s === "string" || typeof s === "number");
  const last = path[path.length - 1];
  if (typeof last === "number") {
    const item = valueAt(value, path);
    const shown = typeof item === "string" ? item.trim() : "";
    if (shown !== "" && namesItem(issue.message, shown)) path = path.slice(0, -1);
  } else if (typeof last === "string" && issue.message.startsWith(`${last} `)) {
    path = path.slice(0, -1);
  }
  if (path.length === 0) return issue.message;
  const end = path[path.length - 1];
  const parent = [property, ...path.slice(0, -1).map(String)].join(".");
  return typeof end === "number" ? `${issue.message} (item ${end + 1} of ${parent})` : `${issue.message} (in ${parent}.${end})`;
}

/**
 * Validates `news` against `shape`. Known values are replaced by their parsed (normalised) form;
 * unknown ones pass through untouched; properties not in `shape` are reported.
 */
export function checkProperties(shape: Record<string, z.ZodType>, news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const inputs: Record<string, unknown> = {};
  const failures: CheckFailure[] = [];
  for (const [key, value] of Object.entries(news)) {
    if (key === "__provider") {
      inputs[key] = value;
    } else if (!(key in shape)) {
      failures.push({ property: key, reason: `'${key}' is not a property of this resource.` });
    }
  }
  for (const [key, schema] of Object.entries(shape)) {
    const value = news[key];
    if (containsUnknown(value)) {
      inputs[key] = value;
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      if (parsed.data !== undefined) inputs[key] = parsed.data;
    } else {
      for (const issue of parsed.error.issues) failures.push({ property: key, reason: describeIssue(issue, key, value) });
    }
  }
  return { inputs, failures };
}

/** Parses inputs the engine already checked; a failure here means check was bypassed. */
export function parseChecked<T>(schema: z.ZodType<T>, inputs: unknown, resource: string): T {
  const parsed = schema.safeParse(inputs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const property = issue?.path.join(".") ?? "";
    throw new ExchangeCasError("invalid-inputs", `Invalid ${resource} inputs: ${property}: ${issue?.message ?? "invalid"}`, { resource, property });
  }
  return parsed.data;
}

/** Outputs as the engine can carry them: no undefined, no Dates, no bigints. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
