import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A TCP proxy in front of the test server that can cut every connection through it and refuse new ones for a
 * while. To a process connected through it, that is a database restart (its sessions end, their advisory locks
 * and open transactions with them, and reconnecting fails until the server is back), without restarting the
 * server every other test shares.
 */
export interface CuttableProxy {
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url: string;
  /** Ends every connection through the proxy now (both sides) and refuses new ones for `refuseMs`. */
  cut(refuseMs: number): void;
  /**
   * From now on nothing passes either way, yet no connection ends and new ones are accepted: a network cut (a
   * dead switch, a dropped route), where a client hears nothing at all rather than a refusal.
   */
  stall(): void;
  /** Resolves once the proxy takes connections again (at once if it does). */
  reopened(): Promise<void>;
  close(): Promise<void>;
}

export async function openCuttableProxy(databaseUrl: string): Promise<CuttableProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let refusingUntil = 0;
  let stalled = false;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    // Accepted and closed at once: the client sees its connection reset, as during a restart.
    if (Date.now() < refusingUntil) {
      client.destroy();
      return;
    }
    if (stalled) return;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    cut(refuseMs) {
      refusingUntil = Date.now() + refuseMs;
      for (const socket of sockets) socket.destroy();
    },
    stall() {
      stalled = true;
      // Unpiped, each side's data stays unread in its socket: nothing passes, nothing ends.
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
    },
    async reopened() {
      await sleep(Math.max(0, refusingUntil - Date.now()));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
