/**
 * A registry stopped in the middle of a push (issue 17): the engine retries with backoff
 * (about 50 s here), then mbuild reports the tag as failed: exit 1, a `push-failed` event
 * naming it, nothing reported pushed, no stack trace. Its own file, so that the wait runs
 * beside the other engine tests.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { startRegistry } from '../helpers/registry.js';
import { BIN } from '../helpers/run-cli.js';

const ofType = <T extends JsonEvent['type']>(events: readonly JsonEvent[], type: T): Extract<JsonEvent, { type: T }>[] =>
  events.filter((e): e is Extract<JsonEvent, { type: T }> => e.type === type);

/** One image with a 24 MB layer, tagged in `registry`. */
function bigImageProject(registry: string): { name: string; dir: string; cleanup: () => string[] } {
  const name = `mbt-regdown-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mbt-regdown-'));
  mkdirSync(join(dir, 'ctx'));
  writeFileSync(join(dir, 'ctx', 'big.bin'), randomBytes(24 * 1024 * 1024));
  const yaml = [
    'version: 1',
    `name: ${name}`,
    'images:',
    '  base:',
    '    context: ctx',
    '    dockerfile_inline: |',
    '      FROM busybox',
    '      COPY big.bin /big.bin',
  ];
  writeFileSync(join(dir, 'mbuild.yaml'), [...yaml, `    tags: [${registry}/${name}/base:1]`, ''].join('\n'));
  return { name, dir, cleanup: () => (rmSync(dir, { recursive: true, force: true }), removeProjectImages(name)) };
}

describe('a registry that stops', () => {
  it('stopped in the middle of a push: exit 1 naming the tag, nothing reported pushed for it', async () => {
    const reg = await startRegistry();
    const p = bigImageProject(reg.host);
    try {
      const child = spawn(process.execPath, [BIN, 'up', 'base', '--push', '--progress', 'json'], { cwd: p.dir, env: { ...process.env } });
      let stdout = '';
      let stderr = '';
      let stopping: Promise<void> | undefined;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stopping === undefined && /"type":"push-progress"/.test(stdout)) stopping = reg.stop();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      await stopping;
      expect(stopping, 'the push never reported progress').toBeDefined();
      expect(code).toBe(1);
      const events = parseEvents(stdout);
      expect(ofType(events, 'push-failed').map((e) => e.ref)).toEqual([`${reg.host}/${p.name}/base:1`]);
      expect(ofType(events, 'push-done')).toEqual([]);
      expect(stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      await reg.stop();
      expect(p.cleanup(), 'images left behind').toEqual([]);
    }
  });
});
