/**
 * scripts/registry.sh: idempotent; leaves the registry program the tests start, and Debian's
 * packaged registry service (on :5000, all interfaces) neither running nor enabled.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processesWith } from '../helpers/engine-docker.js';
import { REGISTRY_BIN } from '../helpers/registry.js';
import { REPO } from '../helpers/run-cli.js';

const run = (): string => execFileSync('bash', ['scripts/registry.sh'], { cwd: REPO, encoding: 'utf8' });

describe('scripts/registry.sh', () => {
  it('run twice, the second run finds everything in place and changes nothing', () => {
    run();
    const out = run();
    expect(out).toContain(`registry: ${REGISTRY_BIN} present`);
    expect(out).toContain('registry: the packaged docker-registry service is not running');
    expect(out).toContain('registry: the packaged docker-registry service is not enabled');
    expect(out).not.toMatch(/installing|stopping|disabling/);
  });

  it('leaves the program, and the packaged service neither running nor started at boot', () => {
    run();
    expect(existsSync(REGISTRY_BIN)).toBe(true);
    expect(processesWith('/etc/docker/registry/config.yml')).toEqual([]);
    const startLinks = ['rc2.d', 'rc3.d', 'rc4.d', 'rc5.d'].flatMap((d) =>
      existsSync(`/etc/${d}`) ? readdirSync(`/etc/${d}`).filter((n) => /^S\d*docker-registry$/.test(n)) : [],
    );
    expect(startLinks).toEqual([]);
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/docker-registry.service')).toBe(false);
  });
});
