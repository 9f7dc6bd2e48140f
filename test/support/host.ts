// Drives the real dynamic-provider host shipped in @pulumi/pulumi over gRPC, the way the Pulumi
// engine does (see ../shared/PULUMI-NOTES.md §2.8). gRPC and protobuf come from the SDK's own
// copies, because the SDK pins google-protobuf 3 while the tree may hold 4.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./paths";

const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));

interface Struct {
  toJavaScript(): Record<string, unknown>;
}
interface StructStatic {
  fromJavaScript(value: Record<string, unknown>): Struct;
}
type Message = Record<string, (...args: unknown[]) => unknown>;
type MessageCtor = new () => Message;
type Client = Record<string, (req: unknown, cb: (err: Error | null, res: Message) => void) => void> & { close(): void };

const grpc = sdkRequire("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
const { Struct } = sdkRequire("google-protobuf/google/protobuf/struct_pb") as { Struct: StructStatic };
const pb = sdkRequire("./proto/provider_pb") as Record<string, MessageCtor>;
const { ResourceProviderClient } = sdkRequire("./proto/provider_grpc_pb") as {
  ResourceProviderClient: new (address: string, creds: unknown) => Client;
};

export const PROJECT = "exchange-cas";
export { ROOT } from "./paths";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::${PROJECT}::pulumi-nodejs:dynamic/exchange-cas:${type}::${name}`;
}

function req(ctor: string, fields: Record<string, unknown>): Message {
  const Ctor = pb[ctor];
  if (Ctor === undefined) throw new Error(`no protobuf message ${ctor}`);
  const message = new Ctor();
  for (const [key, value] of Object.entries(fields)) {
    const setter = message[`set${key[0]?.toUpperCase()}${key.slice(1)}`];
    if (setter === undefined) throw new Error(`${ctor} has no field ${key}`);
    const isStruct = ["olds", "news", "properties", "inputs", "args"].includes(key);
    setter.call(message, isStruct ? Struct.fromJavaScript(value as Record<string, unknown>) : value);
  }
  return message;
}

function js(message: Message, getter: string): Record<string, unknown> {
  const value = message[getter]?.call(message) as Struct | undefined;
  return value ? value.toJavaScript() : {};
}

export interface CheckResponse {
  inputs: Record<string, unknown>;
  failures: { property: string; reason: string }[];
}
export interface DiffResponse {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * What the host printed from one point on: take a mark before a step, await the step (its RPC's
 * answer), then read. The host writes its output to a file, synchronously (Node writes to files
 * synchronously), before it answers, so everything a step printed is there once its answer is.
 */
export interface Printed {
  /** Everything printed since the mark. */
  text(): string;
}

/**
 * The table read-ahead setting this process started with. A file's fixtures turn it off in this
 * process (fixtures.ts); a host started without saying otherwise gets the one the run started with.
 */
const STARTED_WITH_PREFETCH = process.env.EXCHANGE_CAS_READ_PREFETCH ?? "";

export class Host {
  private constructor(
    readonly child: ChildProcess,
    private readonly client: Client,
    private readonly outputFile: string,
    private readonly portLineLength: number,
  ) {
    this.logStart = portLineLength;
  }

  /** Where `log` starts: after the port line, or where the current test began (startLog). */
  private logStart: number;

  /**
   * Starts the host with the project root as its working directory, as the engine does; `cwd`
   * names another checkout of the project. Its stdout and stderr go to one file, as the engine
   * receives them (the port line, then what the provider prints).
   */
  static async start(env: Record<string, string> = {}, cwd: string = ROOT): Promise<Host> {
    const entry = sdkRequire.resolve("./cmd/dynamic-provider");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-host-"));
    const outputFile = path.join(dir, "output.log");
    const fd = fs.openSync(outputFile, "a");
    // Watched before the host starts, so its port line cannot be missed.
    const watcher = fs.watch(outputFile);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
        cwd,
        env: {
          ...process.env,
          EXCHANGE_CAS_READ_PREFETCH: STARTED_WITH_PREFETCH,
          PULUMI_NODEJS_PROJECT: PROJECT,
          PULUMI_PROJECT: PROJECT,
          ...env,
        },
        stdio: ["ignore", fd, fd],
      });
    } finally {
      fs.closeSync(fd);
    }
    // Kept while this process runs: a test may read what a host printed as it died.
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    try {
      const portLine = await new Promise<string>((resolve, reject) => {
        const look = () => {
          const m = /^(\d+)\r?\n/.exec(fs.readFileSync(outputFile, "utf8"));
          if (m) resolve(m[0]);
        };
        watcher.on("change", look);
        watcher.on("error", reject);
        child.once("exit", (code) => reject(new Error(`host exited ${String(code)} before it listened`)));
        look();
      });
      const client = new ResourceProviderClient(`127.0.0.1:${portLine.trim()}`, grpc.credentials.createInsecure());
      return new Host(child, client, outputFile, Buffer.byteLength(portLine));
    } finally {
      watcher.close();
    }
  }

  private printedBytes(): Buffer {
    try {
      return fs.readFileSync(this.outputFile);
    } catch {
      return Buffer.alloc(0);
    }
  }

  /**
   * Everything the host printed (what the engine shows as diagnostics) since its port line, or,
   * for a host shared by a file's tests, since the current test began.
   */
  get log(): string {
    return this.printedBytes().subarray(this.logStart).toString("utf8");
  }

  /** Starts `log` here: a file's shared host does it before each test. */
  startLog(): void {
    this.logStart = Math.max(this.portLineLength, this.printedBytes().length);
  }

  /** A mark in the host's output: what it printed from here on (see Printed). */
  mark(): Printed {
    const from = Math.max(this.portLineLength, this.printedBytes().length);
    return { text: () => this.printedBytes().subarray(from).toString("utf8") };
  }

  /** Runs `step` and returns its result with what the host printed while it ran. */
  async printedBy<T>(step: () => Promise<T>): Promise<{ result: T; printed: string }> {
    const mark = this.mark();
    const result = await step();
    return { result, printed: mark.text() };
  }

  private call(method: string, request: Message): Promise<Message> {
    return new Promise((resolve, reject) => {
      const fn = this.client[method];
      if (fn === undefined) return reject(new Error(`no rpc ${method}`));
      fn.call(this.client, request, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  async configure(config: Record<string, string> = {}): Promise<void> {
    await this.call("configure", req("ConfigureRequest", { args: config }));
  }

  async check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResponse> {
    const res = await this.call("check", req("CheckRequest", { urn, olds, news }));
    const failures = (res.getFailuresList?.call(res) as Message[]).map((f) => ({
      property: f.getProperty?.call(f) as string,
      reason: f.getReason?.call(f) as string,
    }));
    return { inputs: js(res, "getInputs"), failures };
  }

  async create(
    urn: string,
    properties: Record<string, unknown>,
  ): Promise<{ id: string; properties: Record<string, unknown> }> {
    const res = await this.call("create", req("CreateRequest", { urn, properties }));
    return { id: res.getId?.call(res) as string, properties: js(res, "getProperties") };
  }

  async read(
    id: string,
    urn: string,
    properties: Record<string, unknown>,
    inputs: Record<string, unknown>,
  ): Promise<{ id: string; properties: Record<string, unknown>; inputs: Record<string, unknown> }> {
    const res = await this.call("read", req("ReadRequest", { id, urn, properties, inputs }));
    return { id: res.getId?.call(res) as string, properties: js(res, "getProperties"), inputs: js(res, "getInputs") };
  }

  async diff(
    id: string,
    urn: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<DiffResponse> {
    const res = await this.call("diff", req("DiffRequest", { id, urn, olds, news }));
    const code = res.getChanges?.call(res) as number;
    return {
      changes: code === 2 ? "some" : code === 1 ? "none" : "unknown",
      replaces: res.getReplacesList?.call(res) as string[],
      deleteBeforeReplace: res.getDeletebeforereplace?.call(res) as boolean,
    };
  }

  async update(
    id: string,
    urn: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const res = await this.call("update", req("UpdateRequest", { id, urn, olds, news }));
    return js(res, "getProperties");
  }

  async delete(id: string, urn: string, properties: Record<string, unknown>): Promise<void> {
    await this.call("delete", req("DeleteRequest", { id, urn, properties }));
  }

  /** Interrupts the host as the engine does (SIGINT) and waits for it to exit. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
