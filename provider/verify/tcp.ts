// Whether addresses accept TCP connections, seen from the provider's machine: one connect per
// address:port with a short timeout, a few at a time. Nothing is sent; a connection that opens is
// closed at once. The socket and the timer can be injected, so a test can hold a connection
// pending and fire its timeout without waiting on a clock.
import * as net from "node:net";

/** "open", "refused" (RST: nothing listens), "timeout" (no answer in time), or what else went wrong. */
export type TcpResult = "open" | "refused" | "timeout" | (string & {});

export interface TcpTarget {
  address: string;
  port: number;
}

export interface TcpProbe extends TcpTarget {
  result: TcpResult;
}

/** What a probe needs of a connecting socket (a net.Socket is one). */
export interface PendingConnection {
  on(event: "connect", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  destroy(): void;
}

export interface ProbeOptions {
  /** Milliseconds a connect may take before it counts as "timeout" (default 3000). */
  timeoutMs?: number;
  /** Connects in flight at once (default 8). */
  concurrency?: number;
  /** Starts a connect; default net.connect. */
  connect?: (address: string, port: number) => PendingConnection;
  /** Calls `fire` after `ms`; returns what cancels it. Default setTimeout. */
  startTimer?: (ms: number, fire: () => void) => () => void;
}

export const DEFAULT_TCP_TIMEOUT_MS = 3000;
const DEFAULT_CONCURRENCY = 8;

function connectTcp(address: string, port: number): PendingConnection {
  return net.connect({ host: address, port });
}

function startTimeout(ms: number, fire: () => void): () => void {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
}

function describeError(error: Error): TcpResult {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/** One connect to `target`: how it ended. Never rejects. */
export function probeOne(target: TcpTarget, options: ProbeOptions = {}): Promise<TcpResult> {
  const connect = options.connect ?? connectTcp;
  const startTimer = options.startTimer ?? startTimeout;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TCP_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let cancel: () => void = () => undefined;
    let socket: PendingConnection | undefined;
    const finish = (result: TcpResult) => {
      if (settled) return;
      settled = true;
      cancel();
      socket?.destroy();
      resolve(result);
    };
    try {
      socket = connect(target.address, target.port);
    } catch (e) {
      finish(e instanceof Error ? describeError(e) : String(e));
      return;
    }
    // `on`, not `once`: a late error after the probe has settled must not be an unhandled 'error' event.
    socket.on("error", (e) => finish(describeError(e)));
    socket.on("connect", () => finish("open"));
    // A connect or error may already have settled it (a fake socket answers at once).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (!settled) cancel = startTimer(timeoutMs, () => finish("timeout"));
  });
}

/** Probes every target, at most `concurrency` at once; results in the order of `targets`. */
export async function probeTcp(targets: readonly TcpTarget[], options: ProbeOptions = {}): Promise<TcpProbe[]> {
  const results: TcpProbe[] = new Array<TcpProbe>(targets.length);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i] as TcpTarget;
      results[i] = { address: target.address, port: target.port, result: await probeOne(target, options) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return results;
}
