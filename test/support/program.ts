// The compiled example program (examples/dist, what the root Pulumi.yaml runs) under mocks, with a
// stack's config as the engine hands it to the program (secret keys included), and everything the
// program process printed meanwhile (console and stdout/stderr) captured.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { register, type Registration } from "./contract";
import { ROOT } from "./host";

const nodeRequire = createRequire(path.join(ROOT, "package.json"));
const yaml = createRequire(nodeRequire.resolve("@pulumi/pulumi/package.json"))("js-yaml") as {
  load(text: string): unknown;
};

/** Pulumi.<stack>.yaml's config as the engine hands it to the program: every value a string. */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config))
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  return config;
}

export interface ProgramRun {
  regs: Registration[];
  /** The program's stack outputs, each settled. */
  outputs: Record<string, PromiseSettledResult<unknown>>;
  /** What loading the program threw, if it did. */
  error?: Error;
  /** Everything the program process printed during the run (unhandled rejections included, as the language host prints them). */
  printed: string;
  /** Promise rejections nothing handled during the run (the SDK's own, when a component's outputs fail). */
  unhandled: unknown[];
}

type Write = typeof process.stdout.write;
const CONSOLE = ["log", "info", "warn", "error", "debug"] as const;

function text(value: unknown): string {
  return value instanceof Error
    ? `${value.message}\n${value.stack ?? ""}`
    : typeof value === "string"
      ? value
      : JSON.stringify(value);
}

/**
 * Runs `work` while recording console output and stdout/stderr writes (still passed through), and
 * the promise rejections nothing handled (recorded, and kept from the test runner's own handler).
 */
export async function capturePrinted<T>(
  work: () => Promise<T>,
): Promise<{ result: T; printed: string; unhandled: unknown[] }> {
  const chunks: string[] = [];
  const unhandled: unknown[] = [];
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    console: CONSOLE.map((m) => console[m]),
    onRejection: process.listeners("unhandledRejection"),
  };
  const onRejection = (reason: unknown) => {
    unhandled.push(reason);
    chunks.push(text(reason));
  };
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", onRejection);
  const tap = (original: Write): Write =>
    function (this: unknown, chunk: unknown, ...rest: unknown[]) {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
  process.stdout.write = tap(saved.out);
  process.stderr.write = tap(saved.err);
  CONSOLE.forEach((m, i) => {
    const original = saved.console[i] as (...a: unknown[]) => void;
    console[m] = (...args: unknown[]) => {
      chunks.push(args.map(text).join(" "));
      original.apply(console, args);
    };
  });
  try {
    const result = await work();
    // Let rejections of the last turn surface before the runner's handler is back.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { result, printed: chunks.join("\n"), unhandled };
  } finally {
    process.off("unhandledRejection", onRejection);
    for (const listener of saved.onRejection) process.on("unhandledRejection", listener);
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    CONSOLE.forEach((m, i) => (console[m] = saved.console[i] as (typeof console)[typeof m]));
  }
}

/** Runs examples/dist/index.js with `config` (keys in `secretKeys` marked secret, as `pulumi config set --secret` does). */
export async function runExample(config: Record<string, string>, secretKeys: string[] = []): Promise<ProgramRun> {
  const outputs: Record<string, PromiseSettledResult<unknown>> = {};
  let error: Error | undefined;
  const {
    result: regs,
    printed,
    unhandled,
  } = await capturePrinted(() =>
    register(async (_lib, pulumi) => {
      pulumi.runtime.setAllConfig(config, secretKeys);
      const program = path.join(ROOT, "examples/dist/index.js");
      delete nodeRequire.cache[program];
      let exported: Record<string, { promise(): Promise<unknown> }>;
      try {
        exported = nodeRequire(program) as typeof exported;
      } catch (e) {
        error = e as Error;
        return [];
      }
      const names = Object.keys(exported);
      const settled = await Promise.allSettled(
        names.map((n) => (exported[n] as { promise(): Promise<unknown> }).promise()),
      );
      names.forEach((n, i) => (outputs[n] = settled[i] as PromiseSettledResult<unknown>));
      return [];
    }),
  );
  return { regs, outputs, printed, unhandled, ...(error !== undefined ? { error } : {}) };
}
