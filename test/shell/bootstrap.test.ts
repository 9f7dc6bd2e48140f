// The `exchange` connection's bootstrap cannot reach a real Exchange here, so it runs in real
// pwsh against stand-ins for New-PSSession / Import-PSSession / Import-Module that record what
// they were given: the script must parse, and must pass exactly the parameters Exchange needs.
import { afterEach, describe, expect, it } from "vitest";
import {
  bootstrapScript,
  EXCHANGE_CMDLETS,
  findPwsh,
  PwshSession,
  teardownScript,
  type Connection,
} from "../../provider/shell";
import { psQuote } from "../../provider/shell/quote";
import { cmdline, environ } from "../support/procs";

const STANDINS = `
function New-PSSession { param($ConfigurationName, $ConnectionUri, $Authentication, $Credential, $SessionOption, $ErrorAction)
  $user = $null; $pw = $null; $secure = $false
  if ($Credential) { $user = $Credential.UserName; $pw = $Credential.GetNetworkCredential().Password; $secure = $Credential.Password -is [System.Security.SecureString] }
  $global:Recorded = [ordered]@{ ConfigurationName = $ConfigurationName; ConnectionUri = $ConnectionUri; Authentication = $Authentication;
    User = $user; PasswordMatches = ($pw -ceq $global:ExpectedPw); SecureString = $secure; SkipCA = [bool]($SessionOption -and $SessionOption.SkipCACheck) }
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

/**
 * Bootstraps `connection` in a fresh session as the provider does: with a password, pwsh starts
 * while the password is in this process's environment (EXCHANGE_CAS_PASSWORD, where the provider
 * may find it) and the bootstrap gets it. What pwsh was started with comes back in `seen`: its
 * command line and environment, read while the session is open.
 */
async function runBootstrap(
  connection: Connection,
  password?: string,
): Promise<Record<string, unknown> & { seen: { cmdline: string; environ: string } }> {
  const saved = process.env.EXCHANGE_CAS_PASSWORD;
  if (password !== undefined) process.env.EXCHANGE_CAS_PASSWORD = password;
  let s: PwshSession;
  try {
    s = await PwshSession.start(findPwsh(), 60_000);
  } finally {
    if (saved === undefined) delete process.env.EXCHANGE_CAS_PASSWORD;
    else process.env.EXCHANGE_CAS_PASSWORD = saved;
  }
  sessions.push(s);
  // What the stand-in compares the credential's password with travels as the scripts do (stdin),
  // so it is in neither the command line nor the environment that are checked.
  const expected = `$global:ExpectedPw = ${password === undefined ? "$null" : psQuote(password)}`;
  await s.run(
    { cmdlet: "stand-ins", target: "", script: `${expected}\n${STANDINS.replace(/function /g, "function global:")}` },
    60_000,
  );
  const boot = await s.run({ cmdlet: "connect", target: "", script: bootstrapScript(connection, password) }, 60_000);
  expect(boot.errors).toEqual([]);
  const teardown = teardownScript(connection);
  if (teardown) await s.run({ cmdlet: "teardown", target: "", script: teardown }, 60_000);
  expect(s.pid).toBeGreaterThan(0);
  const seen = { cmdline: cmdline(s.pid ?? 0).join(" "), environ: environ(s.pid ?? 0) };
  const keys = [
    "ConfigurationName",
    "ConnectionUri",
    "Authentication",
    "User",
    "PasswordMatches",
    "SecureString",
    "SkipCA",
    "Session",
    "CommandName",
    "Imported",
    "GlobalImport",
    "Removed",
  ];
  const rec = await s.run(
    { cmdlet: "read", target: "", script: "[pscustomobject]$global:Recorded", select: keys },
    60_000,
  );
  return { ...(rec.data[0] as Record<string, unknown>), seen };
}

describe("the exchange connection's bootstrap", () => {
  it("opens Microsoft.Exchange with Kerberos and imports only the cmdlets the provider uses", async () => {
    const rec = await runBootstrap({
      kind: "exchange",
      connectionUri: "http://ho-ex2010-mb1.exchangeserverpro.net/PowerShell/",
      authentication: "Kerberos",
    });
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
      {
        kind: "exchange",
        connectionUri: "https://mail.exchangeserverpro.net/PowerShell/",
        authentication: "Basic",
        username: "EXCHANGESERVERPRO\\svc-pulumi",
        skipCertificateChecks: true,
      },
      password,
    );
    expect(rec).toMatchObject({
      Authentication: "Basic",
      User: "EXCHANGESERVERPRO\\svc-pulumi",
      PasswordMatches: true,
      SecureString: true,
      SkipCA: true,
    });
    // Nothing of the password on pwsh's command line (scripts travel over stdin) nor in its
    // environment (readable in /proc): the session drops EXCHANGE_CAS_PASSWORD. Both were read.
    expect(rec.seen.cmdline).toMatch(/pwsh/);
    expect(rec.seen.environ).toMatch(/^PATH=/m);
    expect(rec.seen.cmdline).not.toContain(password);
    expect(rec.seen.environ).not.toContain(password);
    expect(rec.seen.environ).not.toMatch(/^EXCHANGE_CAS_PASSWORD=/m);
  });

  it("refuses a username without a password, saying where the password goes", () => {
    expect(() =>
      bootstrapScript({
        kind: "exchange",
        connectionUri: "http://x/PowerShell/",
        authentication: "Negotiate",
        username: "svc",
      }),
    ).toThrow(/pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable/);
  });
});
