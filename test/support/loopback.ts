// A loopback address of the test's own, with listeners on the ports it needs: what a load
// balancer's VIP looks like from this machine (it accepts TCP on its published ports, and refuses
// the others). Fixed addresses collide when two runs of the suite share a machine, and some ports
// cannot move (135 is the endpoint mapper's, which the behaviour under test needs), so the
// address is picked at random in 127.0.0.0/8 (never 127.0.0.1, which other software binds) and
// another one is tried when any of the ports is taken there. Linux routes all of 127.0.0.0/8 to
// the loopback interface, so any such address can be bound without configuration.
import { randomBytes } from "node:crypto";
import * as net from "node:net";

export interface Loopback {
  /** The address, 127.x.y.z. */
  address: string;
  /** The address as a regular expression's source (dots escaped), for messages that name it. */
  pattern: string;
  /** Stops listening on `port`: a connection to it is then refused. */
  close(port: number): Promise<void>;
  /** Listens on `port` again (after close). */
  reopen(port: number): Promise<void>;
  /** Resolves on the first connection accepted on `port` (since it was opened). */
  accepted(port: number): Promise<void>;
  /** Stops every listener (after the test). */
  closeAll(): Promise<void>;
}

/** A random 127.x.y.z, not 127.0.0.1, and no network or broadcast-looking last byte. */
export function randomLoopbackAddress(): string {
  for (;;) {
    const [a = 0, b = 0, c = 0] = randomBytes(3);
    const address = `127.${a}.${b}.${c}`;
    if (c !== 0 && c !== 255 && address !== "127.0.0.1") return address;
  }
}

interface Listener {
  server: net.Server;
  accepted: Promise<void>;
}

/** A listener on address:port that accepts and closes each connection. */
function listen(address: string, port: number): Promise<Listener> {
  let signal: () => void = () => undefined;
  const accepted = new Promise<void>((resolve) => (signal = resolve));
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.destroy();
    signal();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve({ server, accepted });
    });
  });
}

function stop({ server }: Listener): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Listens on every one of `ports` at one loopback address of this test's own: a random address
 * (`pick`), and another while one of the ports is taken there (EADDRINUSE). Any other error is thrown.
 */
export async function listenOnLoopback(
  ports: readonly number[],
  attempts = 20,
  pick: () => string = randomLoopbackAddress,
): Promise<Loopback> {
  const taken: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const address = pick();
    const servers = new Map<number, Listener>();
    try {
      for (const port of ports) servers.set(port, await listen(address, port));
    } catch (error) {
      await Promise.all([...servers.values()].map(stop));
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      taken.push(address);
      continue;
    }
    return {
      address,
      pattern: address.replaceAll(".", "\\."),
      async close(port) {
        const server = servers.get(port);
        if (server === undefined) throw new Error(`nothing listens on ${address}:${port}`);
        servers.delete(port);
        await stop(server);
      },
      async reopen(port) {
        if (servers.has(port)) throw new Error(`${address}:${port} already listens`);
        servers.set(port, await listen(address, port));
      },
      accepted(port) {
        const server = servers.get(port);
        if (server === undefined) throw new Error(`nothing listens on ${address}:${port}`);
        return server.accepted;
      },
      async closeAll() {
        const all = [...servers.values()];
        servers.clear();
        await Promise.all(all.map(stop));
      },
    };
  }
  throw new Error(
    `no loopback address with ports ${ports.join(", ")} free after ${attempts} tries (taken at ${taken.join(", ")})`,
  );
}
