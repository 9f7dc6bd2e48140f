// The TCP probe of post-apply verification (provider/verify/tcp.ts): against listeners this test
// starts on loopback addresses (never anything else), and with an injected socket and timer for
// what a loopback listener cannot do on cue: stay silent until the timeout, which the test fires.
import { EventEmitter } from "node:events";
import * as net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TCP_TIMEOUT_MS, probeOne, probeTcp, type PendingConnection } from "../../provider/verify/tcp";

// This file's own loopback addresses (other files use others), so parallel files never clash.
const A = "127.0.0.181";
const B = "127.0.0.182";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A listener on `address`, on a free port; records every connection it accepts. */
async function listen(
  address: string,
  port = 0,
): Promise<{ port: number; accepted: net.Socket[]; server: net.Server }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => {
    accepted.push(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
  servers.push(server);
  return { port: (server.address() as net.AddressInfo).port, accepted, server };
}

/** A port that was just free on `address`: bound, then closed, so a connect there is refused. */
async function closedPort(address: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A connection the test drives: it connects, fails or stays pending as the test says. */
class FakeConnection extends EventEmitter implements PendingConnection {
  destroyed = false;
  constructor(
    readonly address: string,
    readonly port: number,
  ) {
    super();
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** An injected timer: the test sees each timeout that was started and fires or checks it itself. */
function manualTimers() {
  const started: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  return {
    started,
    startTimer(ms: number, fire: () => void) {
      const timer = { ms, fire, cancelled: false };
      started.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
  };
}

/** An injected connect that hands each FakeConnection to the test as it is made. */
function fakeConnects() {
  const made: FakeConnection[] = [];
  const waiters: (() => void)[] = [];
  return {
    made,
    connect(address: string, port: number) {
      const c = new FakeConnection(address, port);
      made.push(c);
      waiters.splice(0).forEach((w) => w());
      return c;
    },
    /** Resolves once `n` connections have been made (an event, not a clock). */
    async until(n: number): Promise<void> {
      while (made.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

describe("TCP probe", () => {
  it("reports a port with a listener as open, and closes the connection it made", async () => {
    const { port, accepted } = await listen(A);
    expect(await probeOne({ address: A, port })).toBe("open");
    expect(accepted).toHaveLength(1);
    const closed = accepted[0];
    if (closed === undefined) throw new Error("no connection");
    if (!closed.readableEnded) await new Promise((resolve) => closed.once("end", resolve));
  });

  it("reports a port nothing listens on (bound, then closed) as refused", async () => {
    const port = await closedPort(A);
    expect(await probeOne({ address: A, port })).toBe("refused");
  });

  it("reports a connection that never completes as timeout when its timer fires, and drops it", async () => {
    const connects = fakeConnects();
    const timers = manualTimers();
    const probing = probeOne(
      { address: A, port: 135 },
      { connect: connects.connect, startTimer: timers.startTimer, timeoutMs: 1500 },
    );
    await connects.until(1);
    expect(timers.started.map((t) => t.ms)).toEqual([1500]);
    timers.started[0]?.fire();
    expect(await probing).toBe("timeout");
    expect(connects.made[0]?.destroyed).toBe(true);
    // A connect that completes after the timeout changes nothing.
    connects.made[0]?.emit("connect");
    expect(await probing).toBe("timeout");
  });

  it("times a real socket out the same way: a socket that is never connected, the timeout fired by the test", async () => {
    const timers = manualTimers();
    let socket: net.Socket | undefined;
    const probing = probeOne(
      { address: A, port: 135 },
      {
        connect: () => (socket = new net.Socket()),
        startTimer: timers.startTimer,
      },
    );
    expect(timers.started.map((t) => t.ms)).toEqual([DEFAULT_TCP_TIMEOUT_MS]);
    timers.started[0]?.fire();
    expect(await probing).toBe("timeout");
    expect(socket?.destroyed).toBe(true);
  });

  it("cancels the timeout once the connection opens or is refused", async () => {
    const { port } = await listen(A);
    const refused = await closedPort(B);
    const timers = manualTimers();
    const results = await probeTcp(
      [
        { address: A, port },
        { address: B, port: refused },
      ],
      { startTimer: timers.startTimer },
    );
    expect(results.map((r) => r.result)).toEqual(["open", "refused"]);
    expect(timers.started.map((t) => t.cancelled)).toEqual([true, true]);
  });

  it("reports any other failure with its code and message", async () => {
    const connects = fakeConnects();
    const probing = probeOne(
      { address: A, port: 135 },
      { connect: connects.connect, startTimer: manualTimers().startTimer },
    );
    await connects.until(1);
    connects.made[0]?.emit(
      "error",
      Object.assign(new Error("connect EHOSTUNREACH 127.0.0.181:135"), { code: "EHOSTUNREACH" }),
    );
    expect(await probing).toBe("connect EHOSTUNREACH 127.0.0.181:135");
    const odd = probeOne(
      { address: A, port: 135 },
      { connect: connects.connect, startTimer: manualTimers().startTimer },
    );
    await connects.until(2);
    connects.made[1]?.emit("error", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    expect(await odd).toBe("ECONNRESET: socket hang up");
  });

  it("probes every address:port with at most `concurrency` connects in flight, results in the order asked", async () => {
    const connects = fakeConnects();
    const targets = [135, 59532, 59533].flatMap((port) => [A, B].map((address) => ({ address, port })));
    const probing = probeTcp(targets, {
      connect: connects.connect,
      startTimer: manualTimers().startTimer,
      concurrency: 2,
    });
    const ending = ["open", "refused", "open", "open", "refused", "open"];
    for (let i = 0; i < targets.length; i++) {
      // Connect i+1 starts only when one of the two in flight has ended.
      await connects.until(Math.min(i + 2, targets.length));
      expect(connects.made.length).toBe(Math.min(i + 2, targets.length));
      expect(connects.made.filter((c) => !c.destroyed)).toHaveLength(Math.min(2, targets.length - i));
      const c = connects.made[i];
      if (ending[i] === "open") c?.emit("connect");
      else c?.emit("error", Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
    }
    const results = await probing;
    expect(results).toEqual(targets.map((t, i) => ({ ...t, result: ending[i] })));
    expect(connects.made.map((c) => `${c.address}:${c.port}`)).toEqual(targets.map((t) => `${t.address}:${t.port}`));
  });

  it("reports a connect that times out in the network stack (ETIMEDOUT) as timeout, and an error without a code by its message", async () => {
    const connects = fakeConnects();
    const timedOut = probeOne(
      { address: A, port: 135 },
      { connect: connects.connect, startTimer: manualTimers().startTimer },
    );
    await connects.until(1);
    connects.made[0]?.emit(
      "error",
      Object.assign(new Error("connect ETIMEDOUT 127.0.0.181:135"), { code: "ETIMEDOUT" }),
    );
    expect(await timedOut).toBe("timeout");
    const plainError = probeOne(
      { address: A, port: 135 },
      { connect: connects.connect, startTimer: manualTimers().startTimer },
    );
    await connects.until(2);
    connects.made[1]?.emit("error", new Error("boom"));
    expect(await plainError).toBe("boom");
  });

  it("reports a connect that throws at once by what it threw, and starts no timer", async () => {
    const timers = manualTimers();
    const bad = (thrown: unknown) =>
      probeOne(
        { address: "not an address", port: 135 },
        {
          connect: () => {
            throw thrown;
          },
          startTimer: timers.startTimer,
        },
      );
    expect(await bad(Object.assign(new Error("getaddrinfo ENOTFOUND not an address"), { code: "ENOTFOUND" }))).toBe(
      "getaddrinfo ENOTFOUND not an address",
    );
    expect(await bad("a string")).toBe("a string");
    expect(timers.started).toEqual([]);
  });

  it("ends a connection once: a late event after the result neither destroys it again nor cancels the timer again", async () => {
    let destroyed = 0;
    let cancelled = 0;
    const connection = new EventEmitter() as EventEmitter & PendingConnection;
    connection.destroy = () => void destroyed++;
    const probing = probeOne(
      { address: A, port: 135 },
      {
        connect: () => connection,
        startTimer: () => () => void cancelled++,
      },
    );
    connection.emit("error", Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
    connection.emit("connect");
    connection.emit("error", Object.assign(new Error("late"), { code: "ECONNRESET" }));
    expect(await probing).toBe("refused");
    expect([destroyed, cancelled]).toEqual([1, 1]);
  });

  it("starts no timer for a connection that settled while its listeners were attached", async () => {
    const timers = manualTimers();
    let destroyed = 0;
    const eager: PendingConnection = {
      // Connects at once: calls the connect listener as soon as it is attached.
      on: ((event: string, listener: () => void) => {
        if (event === "connect") listener();
        return eager;
      }) as PendingConnection["on"],
      destroy: () => void destroyed++,
    };
    expect(await probeOne({ address: A, port: 135 }, { connect: () => eager, startTimer: timers.startTimer })).toBe(
      "open",
    );
    expect(timers.started).toEqual([]);
    expect(destroyed).toBe(1);
  });

  it("clears its default timer when a real connection opens, so no timer is left behind", async () => {
    const { port } = await listen(A);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      expect(await probeOne({ address: A, port })).toBe("open");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("fires its default timer after timeoutMs when nothing answers", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const connection = new FakeConnection(A, 135);
      const probing = probeOne({ address: A, port: 135 }, { connect: () => connection, timeoutMs: 250 });
      vi.advanceTimersByTime(249);
      expect(connection.destroyed).toBe(false);
      vi.advanceTimersByTime(1);
      expect(await probing).toBe("timeout");
      expect(connection.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("probes nothing for no targets, and one at a time when asked for fewer than one", async () => {
    expect(await probeTcp([])).toEqual([]);
    const connects = fakeConnects();
    const targets = [A, B].map((address) => ({ address, port: 135 }));
    const probing = probeTcp(targets, {
      connect: connects.connect,
      startTimer: manualTimers().startTimer,
      concurrency: 0,
    });
    await connects.until(1);
    expect(connects.made).toHaveLength(1);
    connects.made[0]?.emit("connect");
    await connects.until(2);
    connects.made[1]?.emit("connect");
    expect((await probing).map((r) => r.result)).toEqual(["open", "open"]);
  });
});
