// An identity Exchange refuses to parse is not "already gone" (LAB-FIDELITY I1). Exchange answers
// a space in an array name with a parameter-binding error (ParameterBindingArgumentTransformationException),
// never ManagementObjectNotFoundException; the provider must surface it, not read it as a delete
// already done or an array that does not exist.
import { describe, expect } from "vitest";
import { getClientAccessArray, newClientAccessArray, removeClientAccessArray } from "../../provider/exchange";
import { PowerShellError, type PsErrorRecord } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";

describe("against the lab", () => {
  it("fails read and delete of an array named with a space instead of reporting it gone, and deletes nothing", async ({
    connection,
  }) => {
    await newClientAccessArray(connection, {
      name: "China CAS Array",
      fqdn: "casarrayap.exchangeserverpro.net",
      site: "BranchOffice",
    });
    const binding = {
      exceptionType: "ParameterBindingArgumentTransformationException",
      category: "InvalidData",
      isNotFound: false,
    };
    await expect(removeClientAccessArray(connection, "China CAS Array")).rejects.toMatchObject(binding);
    await expect(getClientAccessArray(connection, "China CAS Array")).rejects.toMatchObject(binding);
    expect((await getClientAccessArray(connection, "casarrayap.exchangeserverpro.net"))?.name).toBe("China CAS Array");
  });
});

describe("PowerShellError.isNotFound", () => {
  const record = (type: string): PsErrorRecord => ({
    type,
    category: "NotSpecified",
    fqid: "",
    message: "m",
    target: "",
    cmdlet: "Get-ClientAccessArray",
  });
  it("is true only when every record is Exchange's not-found", () => {
    expect(
      new PowerShellError("Get-ClientAccessArray", "x", [record("ManagementObjectNotFoundException")]).isNotFound,
    ).toBe(true);
    expect(
      new PowerShellError("Get-ClientAccessArray", "x", [
        record("ManagementObjectNotFoundException"),
        record("ParameterBindingArgumentTransformationException"),
      ]).isNotFound,
    ).toBe(false);
    expect(
      new PowerShellError("Get-ClientAccessArray", "x", [record("ParameterBindingArgumentTransformationException")])
        .isNotFound,
    ).toBe(false);
    expect(new PowerShellError("Get-ClientAccessArray", "x", []).isNotFound).toBe(false);
  });
});
