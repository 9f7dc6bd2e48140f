// What ps/server/NlbCluster.ps1 calls of the NetworkLoadBalancingClusters module is listed in
// SERVER_MODULE_CMDLETS (the commands that run on the server, not on this machine), and the
// client sends each value to it as a quoted literal or a number.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_MODULE_CMDLETS } from "../../provider/shell/bootstrap";
import { nlbSpec } from "../../provider/windows/nlb";

const script = fs.readFileSync(path.join(__dirname, "../../provider/ps/server/NlbCluster.ps1"), "utf8");

describe("the NLB script and its command", () => {
  it("calls only NLB commands that SERVER_MODULE_CMDLETS lists, and every one it lists", () => {
    const used = [...new Set([...script.matchAll(/\b([A-Z][a-z]+-Nlb[A-Za-z]+)\b/g)].map((m) => m[1]))].sort();
    expect(used).toEqual([...SERVER_MODULE_CMDLETS].sort());
  });

  it("sends the script and every argument as literals, numbers checked", () => {
    const spec = nlbSpec("CAS1'; Remove-Item x; '", "Join", {
      interface: "Local Area 'Connection'",
      node: "CAS2",
      ports: [135],
      waitSeconds: 60,
    });
    expect(spec.script).toMatch(/^Invoke-ExcasServerScript -ComputerName 'CAS1''; Remove-Item x; ''' -Script '/);
    expect(spec.script).toMatch(
      /-ArgumentList 'Join', 'Local Area ''Connection''', '', '', '', '', '135', 'CAS2', '', 0, 60$/,
    );
    expect(() => nlbSpec("CAS1", "Read", { interface: "x", waitSeconds: -1 })).toThrow(
      "Invalid number -1 for the NLB script",
    );
    expect(() => nlbSpec("CAS1", "Rules", { interface: "x", ports: [70000] })).toThrow("Invalid number 70000");
  });
});
