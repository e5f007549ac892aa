/** A unix socket that exists while the test needs it (an ssh agent's $SSH_AUTH_SOCK for validation rules). */
import { createServer } from 'node:net';

/** Listens on `path`; resolves with the function that closes it (and removes the socket file). */
export async function listenSocket(path: string): Promise<() => Promise<void>> {
  const server = createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
