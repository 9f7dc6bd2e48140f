// What the provider reads from pwsh's stdout (provider/shell/envelope.ts), with no pwsh: the
// marker line and its JSON among whatever else a profile or an SSH client printed, and a protocol
// error that quotes what came instead.
import { describe, expect, it } from "vitest";
import { BATCH_MARKER, ENVELOPE_MARKER, outputNoise, parseBatch, parseEnvelope } from "../../provider/shell/envelope";
import { PowerShellSessionError } from "../../provider/shell/errors";

const record = {
  type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
  category: "NotSpecified",
  fqid: "7A1B2C3D,Microsoft.Exchange.Management.SystemConfigurationTasks.GetMailboxDatabase",
  message: 'The specified mailbox database "DB9" does not exist.',
  target: "DB9",
  cmdlet: "Get-MailboxDatabase",
};

function thrown(work: () => unknown): PowerShellSessionError {
  try {
    work();
  } catch (error) {
    if (error instanceof PowerShellSessionError) return error;
    throw error;
  }
  throw new Error("nothing was thrown");
}

describe("the markers", () => {
  it("are the ones ps/wrapper.ps1 prints", () => {
    expect(ENVELOPE_MARKER).toBe("##EXCAS-ENVELOPE##");
    expect(BATCH_MARKER).toBe("##EXCAS-BATCH##");
  });
});

describe("parseEnvelope", () => {
  it("reads the JSON after the marker, ignoring a banner and escapes before it, on LF or CRLF lines", () => {
    const json = JSON.stringify({
      ok: false,
      data: [{ Name: "DB1" }, { Name: "DB2" }],
      errors: [record],
      warnings: ["w1", "w2"],
    });
    const expected = { ok: false, data: [{ Name: "DB1" }, { Name: "DB2" }], errors: [record], warnings: ["w1", "w2"] };
    expect(parseEnvelope(`PowerShell 7.6\nLoading profile...\n${ENVELOPE_MARKER}${json}\n`)).toEqual(expected);
    expect(parseEnvelope(`banner\r\n\u001b[?1h\u001b=${ENVELOPE_MARKER}${json}\r\nPS> `)).toEqual(expected);
  });

  it("takes the last envelope when a command printed a marker line of its own earlier", () => {
    const first = JSON.stringify({ ok: true, data: ["first"], errors: [], warnings: [] });
    const last = JSON.stringify({ ok: true, data: ["last"], errors: [], warnings: [] });
    expect(parseEnvelope(`${ENVELOPE_MARKER}${first}\nnoise\n${ENVELOPE_MARKER}${last}\n`).data).toEqual(["last"]);
  });

  it("accepts what Windows PowerShell 5.1 makes of one-element and empty lists: a scalar, or null", () => {
    const json = JSON.stringify({ ok: true, data: { Name: "DB1" }, errors: record, warnings: "only one" });
    expect(parseEnvelope(`${ENVELOPE_MARKER}${json}`)).toEqual({
      ok: true,
      data: [{ Name: "DB1" }],
      errors: [record],
      warnings: ["only one"],
    });
    const empty = JSON.stringify({ ok: true, data: null, errors: null, warnings: null });
    expect(parseEnvelope(`${ENVELOPE_MARKER}${empty}`)).toEqual({ ok: true, data: [], errors: [], warnings: [] });
  });

  it("keeps every field of an error record and drops fields it does not know", () => {
    const json = JSON.stringify({ ok: false, data: [], errors: [{ ...record, extra: "x" }], warnings: [] });
    expect(parseEnvelope(`${ENVELOPE_MARKER}${json}`).errors).toStrictEqual([record]);
  });

  it("refuses an error record without one of its fields", () => {
    for (const field of Object.keys(record)) {
      const partial: Record<string, string> = { ...record };
      delete partial[field];
      const json = JSON.stringify({ ok: false, data: [], errors: [partial], warnings: [] });
      expect([field, thrown(() => parseEnvelope(`${ENVELOPE_MARKER}${json}`)).reason]).toEqual([field, "protocol"]);
    }
  });

  it("is a protocol error that quotes the output when there is no marker line, or says there was nothing", () => {
    const none = thrown(() => parseEnvelope("  Import-Module : The specified module was not loaded.\n"));
    expect(none.reason).toBe("protocol");
    expect(none.message).toBe(
      "PowerShell returned no result envelope; its output was: Import-Module : The specified module was not loaded.",
    );
    expect(thrown(() => parseEnvelope(" \n\n")).message).toBe(
      "PowerShell returned no result envelope; its output was: (nothing)",
    );
  });

  it("quotes at most 500 characters of what it could not read", () => {
    const exactly = "x".repeat(500);
    expect(thrown(() => parseEnvelope(exactly)).message).toBe(
      `PowerShell returned no result envelope; its output was: ${exactly}`,
    );
    expect(thrown(() => parseEnvelope(`${exactly}yz`)).message).toBe(
      `PowerShell returned no result envelope; its output was: ${exactly}…`,
    );
  });

  it("is a protocol error for a marker followed by what is not JSON, quoting it", () => {
    const error = thrown(() => parseEnvelope(`${ENVELOPE_MARKER}{"ok": tru`));
    expect(error.reason).toBe("protocol");
    expect(error.message).toBe('PowerShell returned a result that is not JSON: {"ok": tru');
  });

  it("is a protocol error for JSON that is not an envelope, naming the first issue and quoting the JSON", () => {
    const error = thrown(() => parseEnvelope(`${ENVELOPE_MARKER}{"ok":"yes","data":[]}`));
    expect(error.reason).toBe("protocol");
    expect(error.message).toBe(
      'PowerShell returned a malformed result envelope (Invalid input: expected boolean, received string): {"ok":"yes","data":[]}',
    );
  });

  it("does not read a batch as one envelope", () => {
    expect(thrown(() => parseEnvelope(`${BATCH_MARKER}[]`)).message).toBe(
      `PowerShell returned no result envelope; its output was: ${BATCH_MARKER}[]`,
    );
  });
});

describe("parseBatch", () => {
  const envelope = (n: number) => ({ ok: true, data: [n], errors: [], warnings: [] });

  it("reads one envelope per command, in order", () => {
    const json = JSON.stringify([envelope(1), { ...envelope(2), data: 2 }, envelope(3)]);
    expect(parseBatch(`banner\n${BATCH_MARKER}${json}\n`, 3)).toEqual([envelope(1), envelope(2), envelope(3)]);
  });

  it("is a protocol error when the count differs from the commands sent, saying both", () => {
    const error = thrown(() => parseBatch(`${BATCH_MARKER}${JSON.stringify([envelope(1)])}`, 2));
    expect(error.reason).toBe("protocol");
    expect(error.message).toBe(
      `PowerShell returned a malformed batch of result envelopes (1 envelopes for 2 commands): ${JSON.stringify([envelope(1)])}`,
    );
  });

  it("is a protocol error for a batch that is no list of envelopes, or no batch at all", () => {
    expect(thrown(() => parseBatch(`${BATCH_MARKER}${JSON.stringify(envelope(1))}`, 1)).message).toBe(
      `PowerShell returned a malformed batch of result envelopes (Invalid input: expected array, received object): ${JSON.stringify(envelope(1))}`,
    );
    expect(thrown(() => parseBatch(`${ENVELOPE_MARKER}${JSON.stringify(envelope(1))}`, 1)).message).toMatch(
      /^PowerShell returned no batch of result envelopes; its output was: /,
    );
  });

  it("quotes at most 500 characters of a malformed batch", () => {
    const long = [{ ...envelope(1), data: ["y".repeat(600)] }];
    const message = thrown(() => parseBatch(`${BATCH_MARKER}${JSON.stringify(long)}`, 2)).message;
    expect(message).toBe(
      `PowerShell returned a malformed batch of result envelopes (1 envelopes for 2 commands): ${JSON.stringify(long).slice(0, 500)}…`,
    );
  });
});

describe("outputNoise", () => {
  it("is what was printed besides the markers, as one line without escapes, frames or blank lines", () => {
    const stdout = [
      "\u001b[31m@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\u001b[0m",
      "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
      "",
      "   ",
      `${ENVELOPE_MARKER}{"ok":true}`,
      `${BATCH_MARKER}[]`,
      "\u001b[?25lHost key verification failed.\u001b[?25h\u001bM\r",
    ].join("\n");
    expect(outputNoise(stdout)).toBe("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! Host key verification failed.");
  });

  it("removes a frame of any number of @ at either end of a line, with or without spaces", () => {
    expect(outputNoise("@@@ Host key for 127.0.0.1 has changed @@@\n@@@WARNING@@@\n@ x @")).toBe(
      "Host key for 127.0.0.1 has changed WARNING x",
    );
  });

  it("keeps the @ and spaces inside a line, and splits CRLF and LF lines alike", () => {
    expect(outputNoise("user@host: Permission denied\r\n  next  \nlast")).toBe(
      "user@host: Permission denied next last",
    );
  });

  it("is empty when nothing else was printed", () => {
    expect(outputNoise(`${ENVELOPE_MARKER}{}\n\n`)).toBe("");
  });

  it("keeps the last 500 characters, where the verdict is", () => {
    const exactly = "a".repeat(499) + "Z";
    expect(outputNoise(exactly)).toBe(exactly);
    expect(outputNoise(`b${exactly}`)).toBe(`…${exactly}`);
  });
});
