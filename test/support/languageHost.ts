// The Pulumi CLI's Node.js language host as the engine starts it (@pulumi/pulumi's cmd/run, which
// `pulumi-language-nodejs` runs with --monitor and --engine), against a small engine of our own:
// a resource monitor that answers registrations, and an engine whose Log RPC records what the
// program logged. What the CLI prints for a program is exactly those Log calls (severity, message,
// resource), so tests assert on them: an error of a declaration mistake is one line, no stack trace.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { ROOT } from "./paths";

const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));

type Request = Record<string, () => unknown>;
type Reply = Record<string, (value: unknown) => void>;
type Handler = (call: { request: Request }, callback: (error: Error | null, reply?: unknown) => void) => void;
interface GrpcServer {
  addService(service: unknown, handlers: Record<string, Handler>): void;
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
  forceShutdown(): void;
}
const grpc = sdkRequire("@grpc/grpc-js") as {
  Server: new () => GrpcServer;
  ServerCredentials: { createInsecure(): unknown };
};
const engineGrpc = sdkRequire("./proto/engine_grpc_pb") as { EngineService: unknown };
const enginePb = sdkRequire("./proto/engine_pb") as Record<string, new () => Reply>;
const resourceGrpc = sdkRequire("./proto/resource_grpc_pb") as { ResourceMonitorService: unknown };
const resourcePb = sdkRequire("./proto/resource_pb") as Record<string, new () => Reply>;
const { Empty } = sdkRequire("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
const { Struct } = sdkRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: object): unknown };
};

/** LogSeverity of engine.proto. */
export const SEVERITY = { 0: "debug", 1: "info", 2: "warning", 3: "error" } as Record<number, string>;

export interface Logged {
  severity: string;
  message: string;
  /** The resource the message is about ("" for the stack). */
  urn: string;
}

export interface ProgramRun {
  /** What the engine was told to print (each Log call). */
  logged: Logged[];
  /** The custom and component resources the program registered, by type and name. */
  registered: { type: string; name: string; urn: string }[];
  /** The language host's own output (what the CLI shows only with logging turned up). */
  output: string;
  exitCode: number | null;
}

/** Runs `program` (default: the compiled site program) as `pulumi preview` would, with `config` (keys in `secretKeys` secret). */
export async function runInLanguageHost(
  config: Record<string, string>,
  secretKeys: string[] = [],
  program = path.join(ROOT, "examples/dist"),
): Promise<ProgramRun> {
  const logged: Logged[] = [];
  const registered: ProgramRun["registered"] = [];
  let root = "";
  const server = new grpc.Server();
  const reply = (name: string, fields: Record<string, unknown> = {}): unknown => {
    const Ctor = enginePb[name] ?? resourcePb[name];
    if (Ctor === undefined) throw new Error(`no message ${name}`);
    const message = new Ctor();
    for (const [field, value] of Object.entries(fields)) message[`set${field}`]?.(value);
    return message;
  };
  server.addService(engineGrpc.EngineService, {
    log: ({ request }, done) => {
      logged.push({
        severity: SEVERITY[request.getSeverity?.() as number] ?? "unknown",
        message: request.getMessage?.() as string,
        urn: request.getUrn?.() as string,
      });
      done(null, new Empty());
    },
    getRootResource: (_call, done) => done(null, reply("GetRootResourceResponse", { Urn: root })),
    setRootResource: ({ request }, done) => {
      root = request.getUrn?.() as string;
      done(null, reply("SetRootResourceResponse"));
    },
  });
  server.addService(resourceGrpc.ResourceMonitorService, {
    supportsFeature: (_call, done) => done(null, reply("SupportsFeatureResponse", { Hassupport: false })),
    registerResource: ({ request }, done) => {
      const type = request.getType?.() as string;
      const name = request.getName?.() as string;
      const urn = `urn:pulumi:headoffice::exchange-cas::${type}::${name}`;
      registered.push({ type, name, urn });
      done(null, reply("RegisterResourceResponse", { Urn: urn, Id: "", Object: Struct.fromJavaScript({}) }));
    },
    registerResourceOutputs: (_call, done) => done(null, new Empty()),
    signalAndWaitForShutdown: (_call, done) => done(null, new Empty()),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  try {
    const address = `127.0.0.1:${port}`;
    const child = spawn(
      process.execPath,
      [
        sdkRequire.resolve("./cmd/run"),
        `--monitor=${address}`,
        `--engine=${address}`,
        "--project=exchange-cas",
        "--stack=headoffice",
        "--dry-run",
        `--root-directory=${ROOT}`,
        program,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PULUMI_CONFIG: JSON.stringify(config),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // A program that never ends fails its test by the test's timeout; it does not outlive the test process.
    const stop = () => child.kill();
    process.once("exit", stop);
    child.once("close", () => process.off("exit", stop));
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const exitCode = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    return { logged, registered, output, exitCode };
  } finally {
    server.forceShutdown();
  }
}
