// What the Pulumi program side produces: register resources under setMocks, loading the package
// from its tsc-compiled dist/ with Node's own require (never vitest-transformed source, which the
// closure serializer cannot handle), and hand back each registration with the real `__provider`.
import { createRequire } from "node:module";
import * as path from "node:path";
import { ROOT } from "./host";

const nodeRequire = createRequire(path.join(ROOT, "package.json"));

type Pulumi = typeof import("@pulumi/pulumi");
export type ExchangeCas = typeof import("exchange-cas");

export interface Registration {
  type: string;
  name: string;
  /** The inputs as the engine receives them, `__provider` text included (secret wrapper removed). */
  inputs: Record<string, unknown>;
  /** Whether the SDK marked `__provider` secret (it captured a secret). */
  providerIsSecret: boolean;
  provider: string;
  /** The URN the mock monitor gave the resource. */
  urn: string;
  /**
   * The URNs of the resources the engine must finish first: the request's dependency list, which
   * the SDK builds from `dependsOn` and from the resources whose outputs are among the inputs.
   */
  dependencies: string[];
}

/** What the SDK sends the monitor for one registration (the parts read here). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
}
type RegisterCallback = (error: unknown, response: { getUrn(): string } | undefined) => void;
interface MonitorWithRegister {
  registerResource(req: RegisterRequest, callback: RegisterCallback): unknown;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function loadPackage(): { pulumi: Pulumi; lib: ExchangeCas } {
  return { pulumi: nodeRequire("@pulumi/pulumi") as Pulumi, lib: nodeRequire("exchange-cas") as ExchangeCas };
}

/** Runs `program` under mocks and returns the registrations of custom resources, in order. */
export async function register(
  program: (lib: ExchangeCas, pulumi: Pulumi) => unknown | Promise<unknown>,
): Promise<Registration[]> {
  const { pulumi, lib } = loadPackage();
  const regs: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const raw = args.inputs as Record<string, unknown>;
        const p = raw.__provider;
        let provider = "";
        let providerIsSecret = false;
        if (typeof p === "string") provider = p;
        else if (p !== null && typeof p === "object" && SECRET_SIG in p) {
          providerIsSecret = true;
          provider = String((p as unknown as { value: unknown }).value);
        }
        if (args.custom !== false && provider) {
          regs.push({
            type: args.type,
            name: args.name,
            inputs: { ...raw, __provider: provider },
            providerIsSecret,
            provider,
            urn: "",
            dependencies: [],
          });
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    "exchange-cas",
    "test",
    false,
  );
  // The mocks' newResource is not told a registration's dependencies or URN: read them from the
  // request the SDK sends the (mock) monitor, and from its answer.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    registerResource(req, (error, response) => {
      const reg = regs.find((r) => r.type === req.getType() && r.name === req.getName());
      if (reg !== undefined && response !== undefined) {
        reg.urn = response.getUrn();
        reg.dependencies = req.getDependenciesList();
      }
      callback(error, response);
    });
  const result = await program(lib, pulumi);
  const resources = (Array.isArray(result) ? result : [result]) as {
    urn?: { apply(f: (u: string) => void): unknown };
  }[];
  await Promise.all(
    resources.map((r) => new Promise<void>((resolve) => (r.urn ? r.urn.apply(() => resolve()) : resolve()))),
  );
  // Registrations settle asynchronously; give the mock monitor a turn.
  await new Promise((resolve) => setTimeout(resolve, 10));
  return regs;
}

/** The value of an Output once known (under mocks every value is known). */
export function settled<T>(output: { apply<U>(f: (v: T) => U): unknown }): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

interface SiteLike {
  ready: Promise<void>;
  fqdn: { apply<U>(f: (v: string) => U): unknown };
  addresses: { apply<U>(f: (v: string[]) => U): unknown };
  databases: { apply<U>(f: (v: unknown[]) => U): unknown };
  warnings: { apply<U>(f: (v: string[]) => U): unknown };
}

/**
 * Waits until a CasArraySite has registered everything it will (its plan accepted) and returns
 * its warnings; rejects with the plan's refusal, in which case it registered nothing.
 */
export async function settleSite(site: SiteLike): Promise<string[]> {
  await site.ready;
  const [warnings] = await Promise.all([
    settled(site.warnings),
    settled(site.fqdn),
    settled(site.addresses),
    settled(site.databases),
  ]);
  return warnings;
}
