// A host that has the DnsServer cmdlets but not the ExcasDns commands (a DNS jump host where the
// admin has not installed provider/ps/ExcasDns): DNS calls fail saying what to install.
import { afterAll, beforeAll, expect, it } from "vitest";
import { getARecords } from "../../provider/dns/aRecord";
import { ConnectionSchema, sessions, type Connection } from "../../provider/shell";
import { createLab, TEST_REMOTE, type Lab } from "../support/lab";

let lab: Lab;
let connection: Connection;
beforeAll(() => {
  lab = createLab();
  connection = ConnectionSchema.parse(lab.connection);
});
afterAll(async () => {
  await sessions().closeAll();
  lab.remove();
});

// Local lab only: over SSH the module is the server's (the fixture always has it).
it.skipIf(TEST_REMOTE === "ssh")("names the missing ExcasDns module and what to install when its commands are not there", async () => {
  const removed = await sessions().run(connection, { cmdlet: "test", target: "", script: "Remove-Module -Name ExcasDns -Force" });
  expect(removed.errors).toEqual([]);
  await expect(getARecords(connection, { dnsServer: "DC01", zone: "exchangeserverpro.net", name: "outlook-ho" })).rejects.toThrow(
    /The ExcasDns module is missing on .*: copy the exchange-cas package's ps\/ExcasDns folder/,
  );
});
