// The provider's removes against a lab that prompts as production does (LAB-FIDELITY C1, D8):
// they succeed only because the provider passes -Confirm:$false and -Force in its
// -NonInteractive pwsh. Dropping either from provider/exchange/clientAccessArray.ts or
// provider/dns/aRecord.ts makes these fail.
import { expect } from "vitest";
import { addARecord, getARecords, removeARecord } from "../../provider/dns/aRecord";
import { getClientAccessArray, newClientAccessArray, removeClientAccessArray } from "../../provider/exchange";
import { labTest as it } from "../support/fixtures";

it("removes a Client Access array without a prompt (Remove-ClientAccessArray is ConfirmImpact High)", async ({
  connection,
}) => {
  const created = await newClientAccessArray(connection, {
    name: "cas-headoffice",
    fqdn: "outlook-ho.exchangeserverpro.net",
    site: "HeadOffice",
  });
  await expect(removeClientAccessArray(connection, created.guid)).resolves.toBe(true);
  expect(await getClientAccessArray(connection, created.guid)).toBeUndefined();
});

it("removes one A record without a prompt (Remove-DnsServerResourceRecord asks unless -Force)", async ({
  connection,
}) => {
  const at = { dnsServer: "DC01", zone: "exchangeserverpro.net", name: "outlook-ho" };
  expect(await addARecord(connection, at, "10.1.0.11", 1200)).toBe(true);
  await expect(removeARecord(connection, at, "10.1.0.11")).resolves.toBe(true);
  expect(await getARecords(connection, at)).toEqual([]);
});
