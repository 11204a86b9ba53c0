/**
 * Loopback plumbing shared by the fake model servers (tests) and the benchmark's delay
 * server: listen on 127.0.0.1 at a random port, track open sockets, and close by
 * destroying them so that hung requests cannot keep a process alive.
 */
import type * as http from 'node:http';
import * as net from 'node:net';

export interface LoopbackListener {
  port: number;
  /** Open TCP connections right now (server side). */
  openSockets(): number;
  /** Destroys every open socket, then closes the server. */
  close(): Promise<void>;
}

export async function listenOnLoopback(server: http.Server): Promise<LoopbackListener> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was bound and released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
