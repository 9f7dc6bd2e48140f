// Get-DnsServerResourceRecord -Name without -Node (LAB-FIDELITY D4): "If Node is not specified then
// both the root and any child records in the node are returned". The article scenario has
// legacy.outlook-ho below the array name outlook-ho, which has no record of its own.
import { afterEach, describe, expect, it } from "vitest";
import { makeLab, type Lab } from "../support/lab";
import { runLab, type Captured } from "../support/pwsh";

let lab: Lab | undefined;
afterEach(() => {
  lab?.remove();
  lab = undefined;
});

const zone = "exchangeserverpro.net";
const view = `function View { process { [string]$_.HostName + '=' + [string]$_.RecordData.IPv4Address } }`;

describe("Get-DnsServerResourceRecord -Name and -Node", () => {
  it("returns a name's own records and those below it without -Node, only its own with -Node; 9714 only when nothing is at or below", async () => {
    lab = makeLab();
    const result = await runLab<{
      Children: Captured<string>;
      OnlyChildNode: Captured<string>;
      Both: string[];
      BothNode: string[];
      Upper: string[];
      Missing: Captured<string>;
    }>(
      `${view}
       $children = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-ho -RRType A -ComputerName DC01 | View }
       $onlyChildNode = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-ho -Node -RRType A -ComputerName DC01 | View }
       Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11 -ComputerName DC01
       Emit ([ordered]@{
         Children = $children; OnlyChildNode = $onlyChildNode
         Both = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-ho -RRType A -ComputerName DC01 | View)
         BothNode = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-ho -Node -RRType A -ComputerName DC01 | View)
         Upper = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name OUTLOOK-HO.exchangeserverpro.net -RRType A -ComputerName DC01 | View)
         Missing = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName ${zone} -Name ho-ex2010 -RRType A -ComputerName DC01 | View } })`,
      lab.statePath,
    );
    expect(result.Children).toEqual({ Out: ["legacy.outlook-ho=10.1.0.30"], Errors: [] });
    // With -Node only the name itself counts (what Windows does for a name with only children is unchecked).
    expect(result.OnlyChildNode.Out).toEqual([]);
    expect(result.OnlyChildNode.Errors.map((e) => e.Fqid)).toEqual(["WIN32 9714,Get-DnsServerResourceRecord"]);
    expect([...result.Both].sort()).toEqual(["legacy.outlook-ho=10.1.0.30", "outlook-ho=10.1.0.11"]);
    expect(result.BothNode).toEqual(["outlook-ho=10.1.0.11"]);
    expect([...result.Upper].sort()).toEqual(["legacy.outlook-ho=10.1.0.30", "outlook-ho=10.1.0.11"]);
    // A prefix of another name (HO-EX2010-MB1) is not "below" it.
    expect(result.Missing.Errors.map((e) => e.Fqid)).toEqual(["WIN32 9714,Get-DnsServerResourceRecord"]);
  });
});
