// The lab's NLB cluster made real on loopback, so that a test can see the wiring forward: a VIP
// listener (on an address the test picked) that hands each new connection to a node's own
// listener, as the lab's cluster state says at that moment, the way NLB does it:
// - the VIP answers a port only while the cluster exists with a started node and a port rule
//   covering the port (else the port refuses: nothing was published);
// - a new connection goes to a Converged (or Converging) node, never to a Draining, Stopped or
//   Suspended one; affinity Single keeps a client address on one node (its last octet modulo the
//   serving nodes, ordered by host id), filtering mode Single sends everything to the lowest id;
// - a connection already forwarded stays while its node drains, and is cut when the node stops,
//   leaves or the cluster goes;
// - a node listens on 135 and on the ports the lab's services listen on (Windows.Services), so a
//   node whose service does not listen on a port refuses it behind the VIP (NLB is not
//   service-aware).
// Every node listener greets with its server's name ("HO-EX2010-CAS1\n") and echoes what it gets.
// Network rule: loopback only; the /24 is picked per run (127.x.y.0 with random x, y), and another
// is tried when a port of it is taken, so that two runs at once do not collide. Follows the lab's
// state file by watching it, and on `sync()`, which a test awaits before a step that connects.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

interface LabNode {
  Name: string;
  State: string;
  HostID: number;
}
interface LabRule {
  StartPort: number;
  EndPort: number;
  Protocol: string;
  Mode: string;
  Affinity: string;
  State: string;
}
interface LabState {
  nlbClusters?: { IPAddress: string; Nodes: LabNode[]; PortRules: LabRule[] }[];
  servers: { Name: string; Windows?: { Services?: Record<string, { Status: string; ListeningPorts: number[] }> } }[];
}

export interface Forwarder {
  /** The VIP: 127.x.y.100. */
  vip: string;
  /** Each node's address: 127.x.y.(13 + i). */
  addresses: Record<string, string>;
  /** Follows the lab's state now: opens and closes listeners, cuts connections of nodes that stopped. */
  sync(): Promise<void>;
  /** Connects to the VIP's `port` from `client` (a loopback address): the node that answered, and the socket. */
  connect(port: number, client: string): Promise<{ node: string; socket: net.Socket }>;
  /** A client address of the run's /24 (127.x.y.(200 + i)). */
  client(i: number): string;
  close(): Promise<void>;
}

const SERVING = new Set(["Converged", "Converging"]);

function listenOn(address: string, port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onConnection);
    server.once("error", reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function random(from: number, to: number): number {
  return from + Math.floor(Math.random() * (to - from + 1));
}

/** What answers at the node: greets with its name and echoes. */
function nodeHandler(server: string): (socket: net.Socket) => void {
  return (socket) => {
    socket.on("error", () => socket.destroy());
    socket.write(`${server}\n`);
    socket.pipe(socket);
  };
}

/**
 * Starts the forwarder for `servers` (their nodes' addresses follow in that order) and the VIP's
 * `ports`, following the lab state at `statePath`.
 */
export async function startForwarder(
  statePath: string,
  servers: readonly string[],
  ports: readonly number[],
): Promise<Forwarder> {
  for (let attempt = 0; ; attempt++) {
    const base = `127.${random(16, 250)}.${random(1, 250)}`;
    try {
      return await start(statePath, base, servers, ports);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 20) throw e;
    }
  }
}

async function start(
  statePath: string,
  base: string,
  servers: readonly string[],
  ports: readonly number[],
): Promise<Forwarder> {
  const vip = `${base}.100`;
  const addresses = Object.fromEntries(servers.map((s, i) => [s, `${base}.${13 + i}`]));
  // Every address:port of the run is free now (else another /24): held for a moment, released.
  const probes: net.Server[] = [];
  try {
    for (const address of [vip, ...Object.values(addresses)])
      for (const port of ports) probes.push(await listenOn(address, port, (s) => s.destroy()));
  } finally {
    await Promise.all(probes.map(closeServer));
  }

  const vipListeners = new Map<number, net.Server>();
  const nodeListeners = new Map<string, net.Server>();
  const forwarded = new Set<{ node: string; client: net.Socket; upstream: net.Socket }>();
  let closed = false;

  const read = (): LabState => JSON.parse(fs.readFileSync(statePath, "utf8")) as LabState;
  const clusterOf = (state: LabState) => (state.nlbClusters ?? []).find((c) => c.IPAddress === vip);
  const ruleFor = (cluster: { PortRules: LabRule[] }, port: number) =>
    cluster.PortRules.find(
      (r) =>
        port >= r.StartPort &&
        port <= r.EndPort &&
        r.State === "Enabled" &&
        r.Mode !== "Disabled" &&
        r.Protocol.toLowerCase() !== "udp",
    );
  const serving = (cluster: { Nodes: LabNode[] }) =>
    cluster.Nodes.filter((n) => SERVING.has(n.State)).sort((a, b) => a.HostID - b.HostID);

  /** The node NLB gives a new connection from `client` to `port`, or undefined (no rule, no node). */
  const choose = (state: LabState, port: number, client: string): string | undefined => {
    const cluster = clusterOf(state);
    if (cluster === undefined) return undefined;
    const rule = ruleFor(cluster, port);
    const nodes = serving(cluster);
    if (rule === undefined || nodes.length === 0) return undefined;
    if (rule.Mode === "Single") return nodes[0]?.Name;
    const octets = client.split(".").map(Number);
    const key =
      rule.Affinity === "Network" ? (octets[2] ?? 0) : rule.Affinity === "None" ? random(0, 255) : (octets[3] ?? 0);
    return nodes[key % nodes.length]?.Name;
  };

  const onVipConnection = (port: number) => (client: net.Socket) => {
    client.on("error", () => client.destroy());
    const node = choose(read(), port, client.remoteAddress?.replace(/^::ffff:/, "") ?? "");
    const address = node === undefined ? undefined : addresses[node];
    if (node === undefined || address === undefined) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: address, port });
    const entry = { node, client, upstream };
    forwarded.add(entry);
    const end = () => {
      forwarded.delete(entry);
      client.destroy();
      upstream.destroy();
    };
    upstream.on("error", end);
    upstream.on("close", end);
    client.on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  /** The ports a server listens on: 135 (the endpoint mapper) and its services' ports in the lab. */
  const nodePorts = (state: LabState, server: string): Set<number> => {
    const services = state.servers.find((s) => s.Name === server)?.Windows?.Services ?? {};
    const listening = Object.values(services).flatMap((s) => (s.Status === "Running" ? s.ListeningPorts : []));
    return new Set([135, ...listening].filter((p) => ports.includes(p)));
  };

  let chain: Promise<void> = Promise.resolve();
  const reconcile = async () => {
    if (closed) return;
    const state = read();
    const cluster = clusterOf(state);
    for (const port of ports) {
      const wanted = cluster !== undefined && ruleFor(cluster, port) !== undefined && serving(cluster).length > 0;
      const held = vipListeners.get(port);
      if (wanted && held === undefined) vipListeners.set(port, await listenOn(vip, port, onVipConnection(port)));
      if (!wanted && held !== undefined) {
        vipListeners.delete(port);
        await closeServer(held);
      }
    }
    for (const [server, address] of Object.entries(addresses)) {
      const open = nodePorts(state, server);
      for (const port of ports) {
        const key = `${server}:${port}`;
        const held = nodeListeners.get(key);
        if (open.has(port) && held === undefined)
          nodeListeners.set(key, await listenOn(address, port, nodeHandler(server)));
        if (!open.has(port) && held !== undefined) {
          nodeListeners.delete(key);
          await closeServer(held);
        }
      }
    }
    // A node that stopped, left, or whose cluster went: its connections are cut. Draining keeps them.
    for (const entry of [...forwarded]) {
      const node = cluster?.Nodes.find((n) => n.Name === entry.node);
      if (node === undefined || node.State === "Stopped" || node.State === "Suspended") {
        entry.client.destroy();
        entry.upstream.destroy();
        forwarded.delete(entry);
      }
    }
  };
  // A failed look (the state file replaced at that instant, the lab removed) waits for the next one.
  const sync = () => (chain = chain.then(reconcile).catch(() => undefined));
  const watcher = fs.watch(path.dirname(statePath), (_event, file) => {
    if (file === path.basename(statePath)) void sync();
  });
  await sync();

  return {
    vip,
    addresses,
    sync,
    client: (i) => `${base}.${200 + i}`,
    async connect(port, client) {
      const socket = net.connect({ host: vip, port, localAddress: client });
      // Errors after the greeting end the socket ('close'); the test reads that, not the error.
      socket.on("error", () => socket.destroy());
      const node = await new Promise<string>((resolve, reject) => {
        let text = "";
        const onData = (chunk: Buffer) => {
          text += chunk.toString("utf8");
          const line = text.indexOf("\n");
          if (line >= 0) {
            socket.off("data", onData);
            resolve(text.slice(0, line));
          }
        };
        socket.on("data", onData);
        socket.once("close", () =>
          reject(new Error(`the VIP closed the connection from ${client} to port ${port} without a node answering`)),
        );
      });
      return { node, socket };
    },
    async close() {
      closed = true;
      watcher.close();
      await chain.catch(() => undefined);
      for (const entry of forwarded) {
        entry.client.destroy();
        entry.upstream.destroy();
      }
      await Promise.all([...vipListeners.values(), ...nodeListeners.values()].map(closeServer));
    },
  };
}
