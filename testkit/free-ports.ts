import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * `count` different free loopback ports, for a process the test starts with them. All
 * are held open until every one is chosen: ports picked one after another may repeat
 * (the kernel can hand out a port again as soon as it is closed), and two listeners of
 * one Gatehouse on the same port fail its start.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A free loopback port: `preferred` when it can be bound (fixed ports keep screenshots stable), else any. */
export async function freePort(preferred = 0): Promise<number> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return freePort();
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
