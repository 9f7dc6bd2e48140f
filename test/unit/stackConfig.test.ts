// The site program's stack config (examples/config.ts): each refusal's exact sentence, and
// Pulumi.yaml's `config` declarations in step with the program's catalogue, written the way the
// Pulumi CLI accepts them (sdk/go/common/workspace: project.json's configTypeDeclaration,
// Project.Validate and mergeConfig).
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
  CLI_DECLARED,
  STACK_CONFIG_KEYS,
  checkStackConfig,
  stackConfigMistakes,
  type StackConfig,
} from "../../examples/config";
import { ROOT } from "../support/paths";

const yaml = createRequire(require.resolve("@pulumi/pulumi/package.json"))("js-yaml") as {
  load(text: string): unknown;
};

const LAB = JSON.stringify({ kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" });
const HEADOFFICE = {
  site: "HeadOffice",
  arrayName: "cas-headoffice",
  fqdn: "outlook-ho.exchangeserverpro.net",
  dnsZone: "exchangeserverpro.net",
  dnsServer: "DC01",
  addresses: '["10.1.0.11"]',
  databases: "all-in-site",
  connection: LAB,
};

function config(values: Record<string, string | undefined>, secret: string[] = []): StackConfig {
  const merged = Object.fromEntries(
    Object.entries({ ...HEADOFFICE, ...values }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return { stack: "headoffice", values: merged, secret: new Set(secret) };
}

describe("the stack config's refusals, each in its final wording", () => {
  it("accepts the headoffice stack as it is", () => {
    expect(stackConfigMistakes(config({}))).toEqual([]);
  });

  it("refuses a misspelt optional key, naming the key meant", () => {
    expect(stackConfigMistakes(config({ exlude: '["MB-HO-03"]' }))).toEqual([
      "`exchange-cas:exlude` is not a setting of this program: did you mean `exchange-cas:exclude`?",
    ]);
  });

  it("names the misspelt key of a required one, and the required key it stands for", () => {
    expect(stackConfigMistakes(config({ addresses: undefined, adress: '["10.1.0.11"]' }))).toEqual([
      "`exchange-cas:adress` is not a setting of this program: did you mean `exchange-cas:addresses`, which is required and not set?",
    ]);
  });

  it("lists the settings when nothing is near the key written", () => {
    expect(stackConfigMistakes(config({ colour: "blue" }))).toEqual([
      "`exchange-cas:colour` is not a setting of this program (its settings: site, arrayName, fqdn, dnsZone, dnsServer, addresses, ttl, databases, exclude, adopt, onDelete, connection, dnsConnection, rpcPorts, serverConnection, loadBalancer, verify, password).",
    ]);
  });

  it("takes a load balancer instead of addresses (the name points at its VIP), and refuses a kind it does not know", () => {
    const nlb = {
      kind: "nlb",
      vip: "10.1.0.100",
      subnetMask: "255.255.255.0",
      interface: "Local Area Connection",
      mode: "multicast",
    };
    expect(stackConfigMistakes(config({ addresses: undefined, loadBalancer: JSON.stringify(nlb) }))).toEqual([]);
    expect(
      stackConfigMistakes(config({ addresses: undefined, loadBalancer: JSON.stringify({ ...nlb, kind: "nbl" }) })),
    ).toEqual(["`exchange-cas:loadBalancer` has kind 'nbl', not nlb: did you mean 'nlb'?"]);
    expect(stackConfigMistakes(config({ addresses: undefined }))).toEqual([
      "`exchange-cas:addresses` is required and not set: `pulumi config set exchange-cas:addresses <value> --stack headoffice`.",
    ]);
  });

  it("says how to set a required key that is missing", () => {
    expect(stackConfigMistakes(config({ fqdn: undefined }))).toEqual([
      "`exchange-cas:fqdn` is required and not set: `pulumi config set exchange-cas:fqdn <value> --stack headoffice`.",
    ]);
  });

  it("refuses a password in plain text with the command that stores it as a secret", () => {
    const exchange = JSON.stringify({
      kind: "exchange",
      connectionUri: "http://ho-ex2010-mb1.contoso.com/PowerShell/",
      authentication: "Basic",
      username: "CONTOSO\\svc-pulumi",
    });
    expect(stackConfigMistakes(config({ connection: exchange, password: "Pa55w0rd" }))).toEqual([
      "`exchange-cas:password` is in plain text in the stack's config: store it as a secret with `pulumi config set --secret exchange-cas:password --stack headoffice`, which asks for it and replaces the plain value.",
    ]);
    expect(stackConfigMistakes(config({ connection: exchange, password: "Pa55w0rd" }, ["password"]))).toEqual([]);
  });

  it("refuses a password no connection logs on with", () => {
    expect(stackConfigMistakes(config({ password: "Pa55w0rd" }, ["password"]))).toEqual([
      "`exchange-cas:password` is set, but no connection has a username to log on with it: remove it with `pulumi config rm exchange-cas:password --stack headoffice`, or give `exchange-cas:connection` a username.",
    ]);
  });

  it("says what was written and the valid value nearest to it, for every enum-like setting", () => {
    expect(stackConfigMistakes(config({ verify: "strick" }))).toEqual([
      "`exchange-cas:verify` is 'strick', not true, false, warn, strict or {mode, tcp, tcpTimeoutMs}: did you mean 'strict'?",
    ]);
    expect(stackConfigMistakes(config({ verify: '{"mode":"strickt","tcp":true}' }))).toEqual([
      "`exchange-cas:verify` has mode 'strickt', not warn or strict: did you mean 'strict'?",
    ]);
    expect(stackConfigMistakes(config({ onDelete: "retian" }))).toEqual([
      "`exchange-cas:onDelete` is 'retian', not restore or retain: did you mean 'retain'?",
    ]);
    expect(stackConfigMistakes(config({ databases: "all-in-sites" }))).toEqual([
      "`exchange-cas:databases` is 'all-in-sites', not all-in-site or a list of database names: did you mean 'all-in-site'?",
    ]);
    expect(
      stackConfigMistakes(config({ connection: JSON.stringify({ kind: "lba", statePath: ".lab/state.json" }) })),
    ).toEqual(["`exchange-cas:connection` has kind 'lba', not lab, exchange or ssh: did you mean 'lab'?"]);
    expect(stackConfigMistakes(config({ serverConnection: JSON.stringify({ kind: "winr" }) }))).toEqual([
      "`exchange-cas:serverConnection` has kind 'winr', not lab, winrm or ssh: did you mean 'winrm'?",
    ]);
    expect(stackConfigMistakes(config({ adopt: "yes" }))).toEqual([
      "`exchange-cas:adopt` is 'yes', not true or false.",
    ]);
  });

  it("says to write a list where a single value was written", () => {
    expect(stackConfigMistakes(config({ addresses: "10.1.0.11" }))).toEqual([
      "`exchange-cas:addresses` is the single value '10.1.0.11', not a list: write it as a YAML list (- 10.1.0.11).",
    ]);
    expect(stackConfigMistakes(config({ databases: "MB-HO-01" }))).toEqual([
      "`exchange-cas:databases` is the single value 'MB-HO-01', not all-in-site or a list: write the database as a YAML list (- MB-HO-01).",
    ]);
  });

  it("refuses values of the wrong shape: a number, a connection, the ports", () => {
    expect(stackConfigMistakes(config({ ttl: "an hour" }))).toEqual([
      "`exchange-cas:ttl` is 'an hour', not a whole number of seconds (such as 3600).",
    ]);
    expect(stackConfigMistakes(config({ connection: "lab" }))).toEqual([
      "`exchange-cas:connection` is 'lab', not a connection: write an object whose kind is lab, exchange or ssh, such as {kind: lab, statePath: .lab/state.json, modulePath: lab/ExchangeLab.psd1}.",
    ]);
    expect(stackConfigMistakes(config({ dnsConnection: "{}" }))).toEqual([
      "`exchange-cas:dnsConnection` has no kind: set its kind to lab, exchange or ssh.",
    ]);
    expect(stackConfigMistakes(config({ rpcPorts: "59532" }))).toEqual([
      "`exchange-cas:rpcPorts` is 59532, not an object: write {rpcClientAccess: 59532, addressBook: 59533}.",
    ]);
  });

  it("refuses every mistake at once, in one RunError (one line at the CLI, no stack trace)", () => {
    let error: unknown;
    try {
      checkStackConfig(config({ exlude: '["MB-HO-03"]', verify: "strick" }));
    } catch (e) {
      error = e;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      "Stack headoffice's config: `exchange-cas:exlude` is not a setting of this program: did you mean `exchange-cas:exclude`? `exchange-cas:verify` is 'strick', not true, false, warn, strict or {mode, tcp, tcpTimeoutMs}: did you mean 'strict'? Nothing was declared.",
    );
  });
});

describe("Pulumi.yaml's config section", () => {
  type Declaration = {
    type?: string;
    items?: { type: string };
    description?: string;
    default?: unknown;
    secret?: boolean;
    value?: unknown;
  };
  const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config: Record<string, unknown>;
  };
  // The CLI reads a plain value of a project key as its default (RewriteShorthandConfigValues).
  const declared = Object.entries(project.config).map(([key, value]): [string, Declaration] => [
    key,
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Declaration) : { default: value },
  ]);
  const CLI_TYPE = { string: "string", integer: "integer", boolean: "boolean", list: "array" } as Record<
    string,
    string
  >;

  it("declares exactly the keys of the program that have a default, with that default", () => {
    expect(declared.map(([key]) => key).sort()).toEqual([...CLI_DECLARED].sort());
    for (const [key, declaration] of declared) {
      expect([key, declaration.default]).toEqual([
        key,
        (STACK_CONFIG_KEYS as Record<string, { default?: unknown }>)[key]?.default,
      ]);
    }
  });

  it("types each key the way the CLI can, with the program's type", () => {
    for (const [key, declaration] of declared) {
      const kind = (STACK_CONFIG_KEYS as Record<string, { kind: string }>)[key]?.kind ?? "";
      // The CLI types only strings, integers, booleans and arrays (simpleConfigType); an array names its items.
      expect([key, declaration.type]).toEqual([key, CLI_TYPE[kind]]);
      if (declaration.type === "array") expect(declaration.items).toEqual({ type: "string" });
      expect(
        Object.keys(declaration).filter(
          (a) => !["type", "items", "description", "secret", "default", "value"].includes(a),
        ),
      ).toEqual([]);
    }
  });

  it("keeps every key in the project's namespace and none required by the CLI (each has a default)", () => {
    for (const [key, declaration] of declared) {
      expect(key.includes(":") ? key.startsWith(`${project.name}:`) : true).toBe(true);
      expect(declaration.default).not.toBeUndefined();
    }
  });
});
