// One validation issue (a zod issue, or anything with a message and a path) as words an admin can
// act on: used by check (every resource's inputs) and by the connection parser in shell/, so it
// lives on the floor both stand on.

/** What describeIssue needs of an issue: zod's `message` and `path`. */
export interface Issue {
  message: string;
  path: readonly PropertyKey[];
}

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
  return typeof end === "number"
    ? `${issue.message} (item ${end + 1} of ${parent})`
    : `${issue.message} (in ${parent}.${end})`;
}
