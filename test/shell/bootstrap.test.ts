// The `exchange` connection's bootstrap cannot reach a real Exchange here, so it runs in real
// pwsh against stand-ins for New-PSSession / Import-PSSession / Import-Module that record what
// they were given: the script must parse, and must pass exactly the parameters Exchange needs.
import { afterEach, describe, expect, it } from "vitest";
import { bootstrapScript, EXCHANGE_CMDLETS, findPwsh, PwshSession, teardownScript, type Connection } from "../../provider/shell";
import { cmdline } from "../support/procs";

const STANDINS = `
function New-PSSession { param($ConfigurationName, $ConnectionUri, $Authentication, $Credential, $SessionOption, $ErrorAction)
  $user = $null; $pw = $null; $secure = $false
  if ($Credential) { $user = $Credential.UserName; $pw = $Credential.GetNetworkCredential().Password; $secure = $Credential.Password -is [System.Security.SecureString] }
  $global:Recorded = [ordered]@{ ConfigurationName = $ConfigurationName; ConnectionUri = $ConnectionUri; Authentication = $Authentication;
    User = $user; PasswordMatches = ($pw -eq $env:EXPECTED_PW); SecureString = $secure; SkipCA = [bool]($SessionOption -and $SessionOption.SkipCACheck) }
  return 'fake-session' }
function Import-PSSession { param($Session, $CommandName, [switch]$AllowClobber, [switch]$DisableNameChecking, $ErrorAction)
  $global:Recorded.Session = $Session; $global:Recorded.CommandName = @($CommandName); return 'fake-module' }
function Import-Module { param($ModuleInfo, [switch]$Global, [switch]$DisableNameChecking) $global:Recorded.Imported = $ModuleInfo; $global:Recorded.GlobalImport = [bool]$Global }
function Remove-PSSession { param($Session) $global:Recorded.Removed = $Session }
`;

const sessions: PwshSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function runBootstrap(connection: Connection, password?: string): Promise<Record<string, unknown>> {
  process.env.EXPECTED_PW = password ?? "";
  const s = await PwshSession.start(findPwsh(), 60_000);
  sessions.push(s);
  await s.run({ cmdlet: "stand-ins", target: "", script: STANDINS.replace(/function /g, "function global:") }, 60_000);
  const boot = await s.run({ cmdlet: "connect", target: "", script: bootstrapScript(connection, password) }, 60_000);
  expect(boot.errors).toEqual([]);
  const teardown = teardownScript(connection);
  if (teardown) await s.run({ cmdlet: "teardown", target: "", script: teardown }, 60_000);
  // Nothing of the password on pwsh's command line: scripts travel over stdin.
  expect(cmdline(s.pid ?? 0).join(" ")).not.toContain(password ?? "\u0000never");
  const keys = ["ConfigurationName", "ConnectionUri", "Authentication", "User", "PasswordMatches", "SecureString", "SkipCA", "Session", "CommandName", "Imported", "GlobalImport", "Removed"];
  const rec = await s.run({ cmdlet: "read", target: "", script: "[pscustomobject]$global:Recorded", select: keys }, 60_000);
  return rec.data[0] as Record<string, unknown>;
}

describe("the exchange connection's bootstrap", () => {
  it("opens Microsoft.Exchange with Kerberos and imports only the cmdlets the provider uses", async () => {
    const rec = await runBootstrap({ kind: "exchange", connectionUri: "http://ho-ex2010-mb1.exchangeserverpro.net/PowerShell/", authentication: "Kerberos" });
    expect(rec).toMatchObject({
      ConfigurationName: "Microsoft.Exchange",
      ConnectionUri: "http://ho-ex2010-mb1.exchangeserverpro.net/PowerShell/",
      Authentication: "Kerberos",
      User: null,
      Session: "fake-session",
      Imported: "fake-module",
      GlobalImport: true,
      Removed: "fake-session",
    });
    expect(rec.CommandName).toEqual([...EXCHANGE_CMDLETS]);
  });

  it("builds the credential as a SecureString in pwsh, from a password with quotes and $ in it", async () => {
    const password = "p@ss'w\u2019rd$(calc)`\"";
    const rec = await runBootstrap(
      { kind: "exchange", connectionUri: "https://mail.exchangeserverpro.net/PowerShell/", authentication: "Basic", username: "EXCHANGESERVERPRO\\svc-pulumi", skipCertificateChecks: true },
      password,
    );
    expect(rec).toMatchObject({ Authentication: "Basic", User: "EXCHANGESERVERPRO\\svc-pulumi", PasswordMatches: true, SecureString: true, SkipCA: true });
  });

  it("refuses a username without a password, saying where the password goes", () => {
    expect(() => bootstrapScript({ kind: "exchange", connectionUri: "http://x/PowerShell/", authentication: "Negotiate", username: "svc" })).toThrow(
      /pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable/,
    );
  });
});
