// A lab connection's paths: relative ones are kept in inputs and resolved against the project root
// when the session opens; absolute ones are used as given.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { bootstrapScript } from "../../provider/shell/bootstrap";
import { connectionKey, describeConnection, projectRoot, resolveLabPath } from "../../provider/shell/connection";
import { psQuote } from "../../provider/shell/quote";

describe("lab connection paths", () => {
  it("resolves relative paths against the project root and leaves absolute ones alone", () => {
    expect(resolveLabPath(".lab/state.json", "/srv/checkout")).toBe("/srv/checkout/.lab/state.json");
    expect(resolveLabPath("/var/lab/state.json", "/srv/checkout")).toBe("/var/lab/state.json");
  });

  it("takes the project root from the language host when it names one, else the working directory", () => {
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "/srv/checkout" })).toBe("/srv/checkout");
    expect(projectRoot({})).toBe(process.cwd());
    // The SDK's placeholder outside a program ("rootDirectory") is not a root.
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "rootDirectory" })).toBe(process.cwd());
  });

  it("opens the session on the resolved paths, names the resolved state file in messages, and keys sessions by it", () => {
    const relative = { kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" } as const;
    const absolute = {
      kind: "lab",
      statePath: path.resolve(".lab/state.json"),
      modulePath: path.resolve("lab/ExchangeLab.psd1"),
    } as const;
    const script = bootstrapScript(relative);
    expect(script).toContain(`$env:EXCHANGE_LAB_STATE = ${psQuote(absolute.statePath)}`);
    expect(script).toContain(`Import-Module -Name ${psQuote(absolute.modulePath)} `);
    expect(bootstrapScript(absolute)).toBe(script);
    expect(describeConnection(relative)).toBe(`the lab (state ${absolute.statePath})`);
    expect(connectionKey(relative)).toBe(connectionKey(absolute));
  });
});
