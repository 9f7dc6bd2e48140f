// The EXCHANGE_CAS_* settings, parsed in one place (provider/settings.ts), with their defaults.
import { describe, expect, it } from "vitest";
import { setting, SETTINGS } from "../../provider/settings";

describe("EXCHANGE_CAS_* settings", () => {
  it("takes the defaults when a setting is unset or empty", () => {
    expect(setting("EXCHANGE_CAS_READ_PREFETCH", {})).toBe(true);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", {})).toBe(250);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", { EXCHANGE_CAS_TABLE_IDLE_MS: " " })).toBe(250);
    expect(setting("EXCHANGE_CAS_STATS", {})).toBe(false);
    expect(setting("EXCHANGE_CAS_PWSH", { EXCHANGE_CAS_PWSH: "  " })).toBeUndefined();
    expect(setting("EXCHANGE_CAS_POWERSHELL", {})).toBeUndefined();
    expect(setting("EXCHANGE_CAS_PASSWORD", { EXCHANGE_CAS_PASSWORD: "" })).toBeUndefined();
  });

  it("parses each setting's values", () => {
    for (const off of ["0", "off", "FALSE", " no "])
      expect(setting("EXCHANGE_CAS_READ_PREFETCH", { EXCHANGE_CAS_READ_PREFETCH: off })).toBe(false);
    expect(setting("EXCHANGE_CAS_READ_PREFETCH", { EXCHANGE_CAS_READ_PREFETCH: "1" })).toBe(true);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", { EXCHANGE_CAS_TABLE_IDLE_MS: "0" })).toBe(0);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", { EXCHANGE_CAS_TABLE_IDLE_MS: "40" })).toBe(40);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", { EXCHANGE_CAS_TABLE_IDLE_MS: "-5" })).toBe(250);
    expect(setting("EXCHANGE_CAS_TABLE_IDLE_MS", { EXCHANGE_CAS_TABLE_IDLE_MS: "soon" })).toBe(250);
    expect(setting("EXCHANGE_CAS_STATS", { EXCHANGE_CAS_STATS: "1" })).toBe(true);
    expect(setting("EXCHANGE_CAS_STATS", { EXCHANGE_CAS_STATS: "yes" })).toBe(false);
    expect(setting("EXCHANGE_CAS_POWERSHELL", { EXCHANGE_CAS_POWERSHELL: " powershell.exe " })).toBe("powershell.exe");
    expect(setting("EXCHANGE_CAS_PASSWORD", { EXCHANGE_CAS_PASSWORD: " p w " })).toBe(" p w ");
  });

  it("documents every setting with a default, and the README lists each", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    for (const [name, entry] of Object.entries(SETTINGS)) {
      expect(entry.doc.length).toBeGreaterThan(20);
      expect(entry.default).not.toBe("");
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });
});
