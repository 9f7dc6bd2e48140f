// The provider manages exactly the A records at its name, never those below it (LAB-FIDELITY D4):
// Get-DnsServerResourceRecord -Name outlook-ho also returns legacy.outlook-ho (article scenario),
// and provider/dns/aRecord.ts must filter it out by HostName.
import { expect } from "vitest";
import { addARecord, getARecords, removeARecord, setARecordTtl } from "../../provider/dns/aRecord";
import { labTest as it } from "../support/fixtures";
import type { Lab } from "../support/lab";

const at = { dnsServer: "DC01", zone: "exchangeserverpro.net", name: "outlook-ho" };
const child = (lab: Lab): Promise<string[]> =>
  lab.json<string[]>(
    `Get-DnsServerResourceRecord -ZoneName 'exchangeserverpro.net' -Name 'legacy.outlook-ho' -Node -RRType A -ComputerName DC01 | ForEach-Object { [string]$_.HostName + '=' + [string]$_.RecordData.IPv4Address + '/' + $_.TimeToLive.TotalSeconds }`,
  );

it("reads a name with only a record below it as empty, manages its own record, and leaves the one below alone", async ({
  lab,
  connection,
}) => {
  expect(await getARecords(connection, at)).toEqual([]);
  expect(await addARecord(connection, at, "10.1.0.11", 1200)).toBe(true);
  expect(await getARecords(connection, at)).toEqual([{ hostName: "outlook-ho", address: "10.1.0.11", ttl: 1200 }]);
  // The record below has another address: a Set or Remove by address must never reach it.
  expect(await setARecordTtl(connection, at, "10.1.0.30", 60)).toBe(false);
  expect(await removeARecord(connection, at, "10.1.0.30")).toBe(false);
  expect(await removeARecord(connection, at, "10.1.0.11")).toBe(true);
  expect(await getARecords(connection, at)).toEqual([]);
  expect(await child(lab)).toEqual(["legacy.outlook-ho=10.1.0.30/3600"]);
});
