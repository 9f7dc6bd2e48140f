// What a failed session open quotes of the process's own output: labelled by transport, and never
// the password, even if something printed it.
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionSchema } from "../../provider/shell/connection";
import { printed } from "../../provider/shell/errors";

const PASSWORD = "Pa55'w0rd;$(x)";
const saved = process.env.EXCHANGE_CAS_PASSWORD;
afterEach(() => {
  if (saved === undefined) delete process.env.EXCHANGE_CAS_PASSWORD;
  else process.env.EXCHANGE_CAS_PASSWORD = saved;
});

describe("what a failed session open quotes", () => {
  const exchange = ConnectionSchema.parse({
    kind: "exchange",
    connectionUri: "http://ho-ex2010-mb1.contoso.com/PowerShell/",
    authentication: "Basic",
    username: "CONTOSO\\svc",
  });
  const ssh = ConnectionSchema.parse({
    kind: "ssh",
    hostName: "ho-ex2010-mb1",
    userName: "svc",
    keyFilePath: "/keys/id",
  });

  it("names the SSH client for an ssh connection, and quotes nothing when nothing was printed", () => {
    expect(printed(ssh, "root@host: Permission denied (publickey).")).toBe(
      " (the SSH client said: root@host: Permission denied (publickey))",
    );
    expect(printed(ssh, "")).toBe("");
  });

  it("never quotes the password", () => {
    process.env.EXCHANGE_CAS_PASSWORD = PASSWORD;
    const text = printed(exchange, `echoed ${PASSWORD} twice ${PASSWORD}`);
    expect(text).toBe(" (PowerShell also printed: echoed *** twice ***)");
    expect(text).not.toContain(PASSWORD);
  });
});
