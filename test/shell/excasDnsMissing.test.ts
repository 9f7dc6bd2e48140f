// A host that has the DnsServer cmdlets but not the ExcasDns commands (a DNS jump host where the
// admin has not installed provider/ps/ExcasDns): DNS calls fail saying what to install. (Local lab
// only, as the local project runs it: over SSH the module is the server's, always there.)
import { expect } from "vitest";
import { getARecords } from "../../provider/dns/aRecord";
import { sessions } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";

it("names the missing ExcasDns module and what to install when its commands are not there", async ({
  connection,
  onTestFinished,
}) => {
  // The session loses a module: it goes with the test, not on to the file's next one.
  onTestFinished(() => sessions().closeAll());
  const removed = await sessions().run(connection, {
    cmdlet: "test",
    target: "",
    script: "Remove-Module -Name ExcasDns -Force",
  });
  expect(removed.errors).toEqual([]);
  await expect(
    getARecords(connection, { dnsServer: "DC01", zone: "exchangeserverpro.net", name: "outlook-ho" }),
  ).rejects.toThrow(/The ExcasDns module is missing on .*: copy the exchange-cas package's ps\/ExcasDns folder/);
});
