import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { type INestApplication } from '@nestjs/common';

/** Default mode of the API socket: owner and group (Decision 8), like docker.sock. */
export const DEFAULT_SOCKET_MODE = 0o660;

/**
 * Serves the app on a unix socket:
 * - creates missing parent directories (0750: group members must reach the socket);
 * - a leftover socket file from a crashed daemon is removed, but if a live process answers
 *   on it, this refuses: two daemons on one socket would split clients between them;
 * - a path that exists and is not a socket is never removed;
 * - the socket is chmod-ed to `mode` once bound. Until then it has the umask's mode, which
 *   with any usual umask (022, 002) already denies others (connecting needs write access).
 */
export async function listenOnSocket(
  app: INestApplication,
  socketPath: string,
  mode: number = DEFAULT_SOCKET_MODE,
): Promise<string> {
  const target = path.resolve(socketPath);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o750 });
  await removeStaleSocket(target);
  const server = app.getHttpServer() as http.Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(target, () => {
      server.off('error', onError);
      resolve();
    });
  });
  await chmod(target, mode);
  return target;
}

async function removeStaleSocket(target: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) {
    throw new Error(`${target} exists and is not a socket; refusing to replace it`);
  }
  if (await answers(target)) {
    throw new Error(
      `another process is serving on ${target}; stop it first (is another shoald running?)`,
    );
  }
  await unlink(target);
}

/** True when something accepts connections on the socket. */
function answers(target: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Serves the app on TCP. Decision 8: a TCP API must authenticate clients with TLS
 * certificates, so a plain-HTTP app may only listen on loopback (tests, local tools);
 * pass `tls` to createApiApp for anything else. Port 0 picks a free port. Resolves with
 * the bound address.
 */
export async function listenOnTcp(
  app: INestApplication,
  port: number,
  host = '127.0.0.1',
): Promise<net.AddressInfo> {
  const server = app.getHttpServer() as http.Server & { requestCert?: boolean };
  const tls = 'setSecureContext' in server;
  if (!tls && !LOOPBACK.test(host)) {
    throw new Error(
      `refusing to serve the control API over plain HTTP on ${host}: a TCP API needs TLS client certificates (or listen on loopback)`,
    );
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return server.address() as net.AddressInfo;
}
