// The provider's lines stay readable (issue 26): Prettier keeps code within 120 columns, but it
// cannot break the text of a string or template literal, so a long message written inline would
// slip past it. Every provider/**/*.ts line (dist/ aside) is at most 160 characters; a message that
// needs more is built from parts in the module that owns it.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/paths";

const LIMIT = 160;

const PROVIDER = join(ROOT, "provider");

/** Every TypeScript source of the provider, as a path relative to the project root with "/". */
function providerSources(): string[] {
  return readdirSync(PROVIDER, { recursive: true, encoding: "utf8" })
    .map((name) => name.split(sep).join("/"))
    .filter((name) => name.endsWith(".ts") && !name.startsWith("dist/") && !name.split("/").includes("node_modules"))
    .map((name) => relative(ROOT, join(PROVIDER, name)).split(sep).join("/"))
    .sort();
}

/** "path:line (n characters)" for each line of `file` over the limit. */
function longLines(file: string): string[] {
  return readFileSync(join(ROOT, file), "utf8")
    .split(/\r?\n/)
    .flatMap((line, i) => (line.length > LIMIT ? [`${file}:${i + 1} (${line.length} characters)`] : []));
}

describe("provider line length", () => {
  it("finds the provider's sources", () => {
    const files = providerSources();
    expect(files).toContain("provider/runtime/nlbCluster.ts");
    expect(files.some((f) => f.startsWith("provider/dist/"))).toBe(false);
    expect(files).toContain("provider/messages.ts");
  });

  it(`has no line over ${LIMIT} characters`, () => {
    const long = providerSources().flatMap(longLines);
    expect(long).toEqual([]);
  });
});
