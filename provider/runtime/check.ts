// Property-by-property validation for `check`: each input is validated by its own schema so
// every failure names its property, and a value still unknown during preview is left alone.
import { z } from "zod";
import { ExchangeCasError } from "../errors";
import { describeIssue } from "../issues";

// Described in words by ../issues.ts, which the connection parser in shell/ shares.
export { describeIssue } from "../issues";

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

/**
 * Validates `news` against `shape`. Known values are replaced by their parsed (normalised) form;
 * unknown ones pass through untouched; properties not in `shape` are reported.
 */
export function checkProperties(
  shape: Record<string, z.ZodType>,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
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
      for (const issue of parsed.error.issues)
        failures.push({ property: key, reason: describeIssue(issue, key, value) });
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
    throw new ExchangeCasError(
      "invalid-inputs",
      `Invalid ${resource} inputs: ${property}: ${issue?.message ?? "invalid"}`,
      { resource, property },
    );
  }
  return parsed.data;
}

/** Outputs as the engine can carry them: no undefined, no Dates, no bigints. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The inputs among stored outputs (or settings): the properties an input schema's `shape` declares, as plain JSON. */
export function inputsAmong(shape: object, props: object): Record<string, unknown> {
  const values = props as Record<string, unknown>;
  return plain(Object.fromEntries(Object.keys(shape).map((key) => [key, values[key]])));
}
