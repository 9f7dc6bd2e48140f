// The stack config the site program reads (namespace exchange-cas, Pulumi.<site>.yaml): every key,
// its type and meaning, and the check of the whole config before anything is declared. What the
// admin types is what happens: a key the program does not know (exlude for exclude) is refused,
// naming the key meant, instead of being silently ignored; a password in plain text is refused
// with the command that stores it as a secret; a mode or kind written wrong is refused with what
// was written and the valid value nearest to it. Every mistake of the config in one error (a
// pulumi.RunError, which the Node.js language host prints as one line, without a stack trace).
// Pulumi.yaml declares the keys the CLI can take (see CLI_DECLARED): keep the two in step
// (test/unit/stackConfig.test.ts compares them).
import * as pulumi from "@pulumi/pulumi";
import { nearest } from "exchange-cas";

export const NAMESPACE = "exchange-cas";

/** How a key's value is written in stack config. */
export type KeyKind = "string" | "integer" | "boolean" | "list" | "object" | "databases" | "verify" | "secret";

export interface KeySpec {
  kind: KeyKind;
  /** Meaning, as README's "Stack config keys" gives it. */
  description: string;
  required?: true;
  /** The value a stack without the key gets (Pulumi.yaml declares it as the key's default). */
  default?: string | number | boolean | string[];
}

/** Every key of the site program, in the order README lists them. */
export const STACK_CONFIG_KEYS = {
  site: { kind: "string", required: true, description: "the AD site (one array per site)" },
  arrayName: { kind: "string", description: "the array's name (default: the FQDN's host label)" },
  fqdn: {
    kind: "string",
    required: true,
    description: "the array's FQDN, internal only; never a server's or the DAG's name",
  },
  dnsZone: { kind: "string", required: true, description: "the DNS zone holding the FQDN" },
  dnsServer: { kind: "string", required: true, description: "the DNS server (-ComputerName)" },
  addresses: {
    kind: "list",
    required: true,
    description:
      "one CAS server's IP, or the load balancer's VIP (not set with loadBalancer: the name points at its VIP)",
  },
  ttl: { kind: "integer", default: 3600, description: "the A record's time to live, in seconds" },
  databases: {
    kind: "databases",
    default: "all-in-site",
    description: "all-in-site (every non-recovery database of the site) or a list of names",
  },
  exclude: { kind: "list", default: [], description: "databases to leave alone" },
  adopt: {
    kind: "boolean",
    default: false,
    description: "take over an existing array and DNS name (released, not removed, on destroy)",
  },
  onDelete: {
    kind: "string",
    default: "restore",
    description:
      "restore (a destroy puts the databases back and removes what the stack created) or retain (a destroy leaves everything as it is)",
  },
  connection: {
    kind: "object",
    description:
      "{kind: lab, statePath, modulePath} (default), or a real Exchange 2010 endpoint ({kind: exchange, ...})",
  },
  dnsConnection: { kind: "object", description: "where the DnsServer cmdlets run when not on connection" },
  rpcPorts: {
    kind: "object",
    description: "{rpcClientAccess, addressBook}: the same static RPC ports on every CAS of the site",
  },
  serverConnection: { kind: "object", description: "how each CAS is reached for rpcPorts" },
  loadBalancer: {
    kind: "object",
    description:
      "{kind: nlb, vip, subnetMask, interface, mode}: Windows NLB on the site's Client Access servers, whose VIP the name points at",
  },
  verify: {
    kind: "verify",
    default: false,
    description:
      "false, warn, strict or {mode, tcp, tcpTimeoutMs}: check DNS, members and (tcp) the VIP's ports after the apply",
  },
  password: { kind: "secret", description: "the password of a connection's username (pulumi config set --secret)" },
} as const satisfies Record<string, KeySpec>;

export type StackConfigKey = keyof typeof STACK_CONFIG_KEYS;
const KEYS = Object.keys(STACK_CONFIG_KEYS) as StackConfigKey[];

/**
 * The keys Pulumi.yaml declares, so the CLI knows them: those with a default. The others cannot
 * be declared without changing what they mean: the CLI requires a value in every stack for a
 * declared key without a default (it would stop a stack that misspells a required key with its
 * own "missing configuration value", before this program can name the misspelt key); it types
 * only strings, integers, booleans and arrays (not a connection); and a declared secret with no
 * value is missing too.
 */
export const CLI_DECLARED: readonly StackConfigKey[] = KEYS.filter((k) => "default" in STACK_CONFIG_KEYS[k]);

const ON_DELETE = ["restore", "retain"];
const VERIFY = ["true", "false", "warn", "strict"];
const VERIFY_MODES = ["warn", "strict"];
const CONNECTION_KINDS = ["lab", "exchange", "ssh"];
const SERVER_CONNECTION_KINDS = ["lab", "winrm", "ssh"];
const LOAD_BALANCER_KINDS = ["nlb"];

/** `exchange-cas:<key>`, as an admin types it. */
export function fullKey(key: string): string {
  return `\`${NAMESPACE}:${key}\``;
}

function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1] ?? ""}`;
}

function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // a plain YAML scalar such as 10.1.0.11 or strict
  }
}

function shown(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value);
}

/** "`exchange-cas:verify` is 'strick', not true, false, warn, strict or {mode, tcp, tcpTimeoutMs}: did you mean 'strict'?" */
function notOneOf(what: string, value: unknown, valid: readonly string[], also?: string): string {
  const near = typeof value === "string" ? nearest(value, valid) : undefined;
  const options = also === undefined ? listed(valid) : `${valid.join(", ")}${also}`;
  return `${what} ${shown(value)}, not ${options}${near !== undefined ? `: did you mean '${near}'?` : "."}`;
}

/** A single value where a list belongs. */
function notAList(key: string, value: unknown, example: string): string {
  const one = typeof value === "string" ? value : example;
  return `${fullKey(key)} is the single value ${shown(value)}, not a list: write it as a YAML list (- ${one}).`;
}

function connectionMistake(key: string, value: unknown, kinds: readonly string[]): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `${fullKey(key)} is ${shown(value)}, not a connection: write an object whose kind is ${listed(kinds)}, such as {kind: lab, statePath: .lab/state.json, modulePath: lab/ExchangeLab.psd1}.`;
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind === undefined) return `${fullKey(key)} has no kind: set its kind to ${listed(kinds)}.`;
  if (typeof kind !== "string" || !kinds.includes(kind)) return notOneOf(`${fullKey(key)} has kind`, kind, kinds);
  return undefined;
}

/** What is wrong with one key's value (already present), or undefined. */
function valueMistake(key: StackConfigKey, raw: string): string | undefined {
  const value = parsed(raw);
  switch (key) {
    case "addresses":
      return Array.isArray(value) ? undefined : notAList(key, value, "10.1.0.11");
    case "exclude":
      return Array.isArray(value) ? undefined : notAList(key, value, "MB-HO-03");
    case "databases":
      if (Array.isArray(value) || value === "all-in-site") return undefined;
      if (typeof value === "string" && nearest(value, ["all-in-site"]) === undefined) {
        return `${fullKey(key)} is the single value ${shown(value)}, not all-in-site or a list: write the database as a YAML list (- ${value}).`;
      }
      return notOneOf(`${fullKey(key)} is`, value, ["all-in-site"], " or a list of database names");
    case "onDelete":
      return typeof value === "string" && ON_DELETE.includes(value)
        ? undefined
        : notOneOf(`${fullKey(key)} is`, value, ON_DELETE);
    case "adopt":
      return value === true || value === false ? undefined : notOneOf(`${fullKey(key)} is`, raw, ["true", "false"]);
    case "ttl":
      return typeof value === "number" && Number.isInteger(value)
        ? undefined
        : `${fullKey(key)} is ${shown(raw)}, not a whole number of seconds (such as 3600).`;
    case "verify": {
      if (typeof value === "boolean" || (typeof value === "string" && VERIFY.includes(value))) return undefined;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const mode = (value as { mode?: unknown }).mode;
        return mode === undefined || (typeof mode === "string" && VERIFY_MODES.includes(mode))
          ? undefined
          : notOneOf(`${fullKey(key)} has mode`, mode, VERIFY_MODES);
      }
      return notOneOf(`${fullKey(key)} is`, value, VERIFY, " or {mode, tcp, tcpTimeoutMs}");
    }
    case "connection":
    case "dnsConnection":
      return connectionMistake(key, value, CONNECTION_KINDS);
    case "serverConnection":
      return connectionMistake(key, value, SERVER_CONNECTION_KINDS);
    case "loadBalancer": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return `${fullKey(key)} is ${shown(value)}, not an object: write {kind: nlb, vip: 10.1.0.100, subnetMask: 255.255.255.0, interface: Local Area Connection, mode: multicast}.`;
      }
      const kind = (value as { kind?: unknown }).kind;
      return typeof kind === "string" && LOAD_BALANCER_KINDS.includes(kind)
        ? undefined
        : notOneOf(`${fullKey(key)} has kind`, kind, LOAD_BALANCER_KINDS);
    }
    case "rpcPorts":
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? undefined
        : `${fullKey(key)} is ${shown(value)}, not an object: write {rpcClientAccess: 59532, addressBook: 59533}.`;
    default:
      return undefined;
  }
}

/** Whether any connection of the config logs on with a username (the password is for it). */
function hasUsername(values: Partial<Record<StackConfigKey, string>>): boolean {
  return (["connection", "dnsConnection", "serverConnection"] as const).some((key) => {
    const raw = values[key];
    if (raw === undefined) return false;
    const value = parsed(raw);
    return (
      value !== null && typeof value === "object" && typeof (value as { username?: unknown }).username === "string"
    );
  });
}

/** The stack's config as the program sees it: every key of the namespace, and which are secret. */
export interface StackConfig {
  stack: string;
  /** Key (without the namespace) to its value as the engine hands it over (a string; lists and objects as JSON). */
  values: Record<string, string>;
  /** Keys (without the namespace) set with --secret. */
  secret: ReadonlySet<string>;
}

/** Every mistake of the stack config, one sentence each (none: the config is fine). */
export function stackConfigMistakes(config: StackConfig): string[] {
  const mistakes: string[] = [];
  const known = new Set<string>(KEYS);
  const values = config.values as Partial<Record<StackConfigKey, string>>;
  // With a load balancer declared the name points at its VIP: no addresses to give.
  const missing = KEYS.filter(
    (k) =>
      "required" in STACK_CONFIG_KEYS[k] &&
      values[k] === undefined &&
      !(k === "addresses" && values.loadBalancer !== undefined),
  );
  const named = new Set<string>();
  for (const key of Object.keys(config.values).filter((k) => !known.has(k))) {
    const meant = nearest(key, KEYS) as StackConfigKey | undefined;
    if (meant === undefined) {
      mistakes.push(`${fullKey(key)} is not a setting of this program (its settings: ${KEYS.join(", ")}).`);
    } else {
      const required = missing.includes(meant) && !named.has(meant);
      named.add(meant);
      mistakes.push(
        `${fullKey(key)} is not a setting of this program: did you mean ${fullKey(meant)}${required ? ", which is required and not set" : ""}?`,
      );
    }
  }
  for (const key of missing.filter((k) => !named.has(k))) {
    mistakes.push(
      `${fullKey(key)} is required and not set: \`pulumi config set ${NAMESPACE}:${key} <value> --stack ${config.stack}\`.`,
    );
  }
  for (const key of KEYS) {
    const raw = values[key];
    if (raw === undefined) continue;
    const mistake = valueMistake(key, raw);
    if (mistake !== undefined) mistakes.push(mistake);
  }
  if (values.password !== undefined) {
    if (!config.secret.has("password")) {
      mistakes.push(
        `${fullKey("password")} is in plain text in the stack's config: store it as a secret with \`pulumi config set --secret ${NAMESPACE}:password --stack ${config.stack}\`, which asks for it and replaces the plain value.`,
      );
    }
    if (!hasUsername(values)) {
      mistakes.push(
        `${fullKey("password")} is set, but no connection has a username to log on with it: remove it with \`pulumi config rm ${NAMESPACE}:password --stack ${config.stack}\`, or give ${fullKey("connection")} a username.`,
      );
    }
  }
  return mistakes;
}

/** The SDK's record of which keys were set with --secret (internal to the SDK, but what its own Config reads). */
function isSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function")
    throw new pulumi.RunError(
      "This @pulumi/pulumi cannot say which config keys are secret (runtime.isConfigSecret is missing).",
    );
  return runtime.isConfigSecret(key);
}

/** The program's stack config, read from the SDK (what the engine handed the program). */
export function currentStackConfig(): StackConfig {
  const values: Record<string, string> = {};
  const secret = new Set<string>();
  for (const [full, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!full.startsWith(`${NAMESPACE}:`)) continue;
    const key = full.slice(NAMESPACE.length + 1);
    values[key] = value;
    if (isSecret(full)) secret.add(key);
  }
  return { stack: pulumi.getStack(), values, secret };
}

/**
 * Refuses the stack config before anything is declared when anything in it is wrong, with one
 * error that lists every mistake (a RunError: one line at the CLI, no stack trace).
 */
export function checkStackConfig(config: StackConfig = currentStackConfig()): void {
  const mistakes = stackConfigMistakes(config);
  if (mistakes.length > 0)
    throw new pulumi.RunError(`Stack ${config.stack}'s config: ${mistakes.join(" ")} Nothing was declared.`);
}
