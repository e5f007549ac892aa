/**
 * The listr2 reporter on a real pseudo-terminal (util-linux `script`): one row per image
 * with its state, the failing step on the failed row (counted over the Dockerfile's own
 * steps under the classic builder too), then the summary table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-cli.js';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { uniqueName } from '../helpers/engine-project.js';

const name = uniqueName('tty');
const dir = mkdtempSync(join(tmpdir(), 'mbt-tty-'));
const hasScript = spawnSync('script', ['--version']).status === 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  expect(removeProjectImages(name)).toEqual([]);
});

function inTerminal(args: string, cols: number): { code: number; screen: string } {
  const out = join(tmpdir(), `${name}-typescript`);
  const r = spawnSync('script', ['-qec', `stty cols ${cols} rows 40; ${process.execPath} ${BIN} ${args}`, out], {
    cwd: dir,
    env: { ...process.env, CI: '' },
    encoding: 'utf8',
  });
  const screen = stripVTControlCharacters(execFileSync('cat', [out], { encoding: 'utf8' })).replace(/\r/g, '\n');
  rmSync(out, { force: true });
  return { code: r.status ?? -1, screen };
}

describe.runIf(hasScript)('mbuild up on a terminal', () => {
  it('draws one row per image with its state, then the summary', () => {
    writeFileSync(
      join(dir, 'mbuild.yaml'),
      `version: 1\nname: ${name}\ndefaults: {network: none}\nimages:\n  good: {dockerfile_inline: "FROM busybox\\nRUN echo ${name} > /x"}\n  bad: {dockerfile_inline: "FROM busybox\\nRUN exit 3"}\n`,
    );
    const { code, screen } = inTerminal('up --keep-going --builder buildkit', 120);
    expect(code).toBe(1);
    expect(screen).toMatch(/✔ good built in \d+\.\ds [0-9a-f]{12}/);
    expect(screen).toContain('✖ bad failed at [2/2] RUN exit 3');
    expect(screen).toMatch(/IMAGE +RESULT +TIME +IMAGE ID +SIZE/);
    expect(screen).toContain('done in');
  });

  it("counts a classic build over the Dockerfile's own steps, never mbuild's LABEL step", () => {
    const { code, screen } = inTerminal('up bad --builder classic', 120);
    expect(code).toBe(1);
    expect(screen).toContain('✖ bad failed at [2/2] RUN exit 3');
    expect(screen).not.toContain('LABEL "io.mbuild');
  });

  it('falls back to plain lines on a terminal without a width', () => {
    const { code, screen } = inTerminal('up good --builder buildkit', 0);
    expect(code).toBe(0);
    expect(screen).toContain('[good] up to date');
  });
});
