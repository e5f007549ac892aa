/**
 * The test proxy's spliced upgrades (test/helpers/engine-proxy.ts): a pair is counted open until
 * both sides closed, whichever side closes first. The engine closing first (a daemon that drops
 * a session) must not leave the caller's side unseen when the caller's process goes away.
 */
import { createServer, type Server } from 'node:http';
import { createConnection, createServer as createNetServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { spliceUpgrades } from '../helpers/engine-proxy.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

it('a pair whose engine side closes first is closed once the caller goes away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-splice-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // The "engine": answers the upgrade, then closes its side.
  const engine = createNetServer((s: Socket) => {
    s.once('data', () => s.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'));
  });
  await new Promise<void>((r) => engine.listen(join(dir, 'engine.sock'), r));
  cleanups.push(() => engine.close());
  const server: Server = createServer();
  const upgrades = spliceUpgrades(server, join(dir, 'engine.sock'));
  await new Promise<void>((r) => server.listen(join(dir, 'proxy.sock'), r));
  cleanups.push(() => {
    upgrades.destroy();
    server.close();
  });

  const caller = createConnection(join(dir, 'proxy.sock'));
  caller.on('error', () => undefined);
  caller.write('POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
  await expect.poll(() => upgrades.timeline(), { timeout: 5000 }).toContain('engine close');
  expect(upgrades.open()).toBe(1);
  // The caller keeps writing into a side nobody reads any more, then goes away.
  caller.write(Buffer.alloc(256 * 1024));
  caller.destroy();
  await expect.poll(() => upgrades.open(), { timeout: 5000 }).toBe(0);
});
