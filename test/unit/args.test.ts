// Each resource class's Args (what a program writes) names exactly the inputs its runtime schema
// validates: a property added to one and not the other fails `tsc` (npm run lint / check), since
// expectTypeOf is checked by the compiler. The runtime assertions below repeat it for the report.
import { describe, expect, expectTypeOf, it } from "vitest";
import type { CasArrayVerificationArgs } from "../../provider/resources/casArrayVerification";
import type { ClientAccessArrayArgs } from "../../provider/resources/clientAccessArray";
import type { DnsARecordArgs } from "../../provider/resources/dnsARecord";
import type { MailboxDatabaseRpcSettingArgs } from "../../provider/resources/mailboxDatabaseRpcSetting";
import type { StaticRpcPortsArgs } from "../../provider/resources/staticRpcPorts";
import { clientAccessArray, type ClientAccessArrayInputs } from "../../provider/runtime/clientAccessArray";
import { dnsARecord, type DnsARecordInputs } from "../../provider/runtime/dnsARecord";
import {
  mailboxDatabaseRpcSetting,
  type MailboxDatabaseRpcSettingInputs,
} from "../../provider/runtime/mailboxDatabaseRpcSetting";
import { staticRpcPorts, type StaticRpcPortsInputs } from "../../provider/runtime/staticRpcPorts";
import { casArrayVerification, type CasArrayVerificationInputs } from "../../provider/runtime/verification";

describe("the Args of each resource class and its runtime's input schema", () => {
  it("name the same properties", () => {
    expectTypeOf<keyof ClientAccessArrayArgs>().toEqualTypeOf<keyof ClientAccessArrayInputs>();
    expectTypeOf<keyof DnsARecordArgs>().toEqualTypeOf<keyof DnsARecordInputs>();
    expectTypeOf<keyof MailboxDatabaseRpcSettingArgs>().toEqualTypeOf<keyof MailboxDatabaseRpcSettingInputs>();
    expectTypeOf<keyof StaticRpcPortsArgs>().toEqualTypeOf<keyof StaticRpcPortsInputs>();
    expectTypeOf<keyof CasArrayVerificationArgs>().toEqualTypeOf<keyof CasArrayVerificationInputs>();
  });

  it("give every input a diff rule", () => {
    for (const definition of [
      clientAccessArray,
      dnsARecord,
      mailboxDatabaseRpcSetting,
      staticRpcPorts,
      casArrayVerification,
    ]) {
      expect([definition.kind, Object.keys(definition.diffRules).sort()]).toEqual([
        definition.kind,
        Object.keys(definition.inputs).sort(),
      ]);
    }
  });
});
