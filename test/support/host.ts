// Drives the real dynamic-provider host shipped in @pulumi/pulumi over gRPC, the way the Pulumi
// engine does (see ../shared/PULUMI-NOTES.md §2.8). gRPC and protobuf come from the SDK's own
// copies, because the SDK pins google-protobuf 3 while the tree may hold 4.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";

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
export const ROOT = path.resolve(__dirname, "../..");

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

export class Host {
  private constructor(
    readonly child: ChildProcess,
    private readonly client: Client,
    private readonly output: { text: string },
  ) {}

  /**
   * Starts the host with the project root as its working directory, as the engine does; `cwd`
   * names another checkout of the project.
   */
  static async start(env: Record<string, string> = {}, cwd: string = ROOT): Promise<Host> {
    const entry = sdkRequire.resolve("./cmd/dynamic-provider");
    const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
      cwd,
      env: { ...process.env, PULUMI_NODEJS_PROJECT: PROJECT, PULUMI_PROJECT: PROJECT, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { text: "" };
    child.stderr?.on("data", (d: Buffer) => (output.text += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let buf = "";
      const onData = (d: Buffer) => {
        buf += d.toString();
        const m = /^(\d+)\r?\n/.exec(buf);
        if (m) {
          child.stdout?.off("data", onData);
          child.stdout?.on("data", (more: Buffer) => (output.text += more.toString()));
          output.text += buf.slice(m[0].length);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on("data", onData);
      child.once("exit", (code) => reject(new Error(`host exited ${code}: ${output.text}`)));
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new Host(child, client, output);
  }

  /** Everything the host printed after its port line (what the engine shows as diagnostics). */
  get log(): string {
    return this.output.text;
  }

  /**
   * The host's output once it matches `pattern`: what a method printed may reach us after its
   * gRPC answer (stderr is its own stream). Waits on the output's own events, not on a clock; a
   * host that never prints it fails the test at the test's timeout.
   */
  async logMatching(pattern: RegExp): Promise<string> {
    while (!pattern.test(this.output.text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stderr?.off("data", done);
          this.child.stdout?.off("data", done);
          resolve();
        };
        this.child.stderr?.on("data", done);
        this.child.stdout?.on("data", done);
      });
    }
    return this.output.text;
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

  async create(urn: string, properties: Record<string, unknown>): Promise<{ id: string; properties: Record<string, unknown> }> {
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

  async diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResponse> {
    const res = await this.call("diff", req("DiffRequest", { id, urn, olds, news }));
    const code = res.getChanges?.call(res) as number;
    return {
      changes: code === 2 ? "some" : code === 1 ? "none" : "unknown",
      replaces: res.getReplacesList?.call(res) as string[],
      deleteBeforeReplace: res.getDeletebeforereplace?.call(res) as boolean,
    };
  }

  async update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
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
