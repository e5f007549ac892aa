/**
 * The listr2 reporter on a real pseudo-terminal (util-linux `script`): one row per image
 * with its state (waiting rows dim and naming what they wait for, building rows with their
 * step counter and elapsed time, FAILED in red unless NO_COLOR), the failing step on the
 * failed row (counted over the Dockerfile's own steps under the classic builder too), then
 * the summary table with the outputs written.
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

/** `raw`: the bytes the terminal got, escapes included; `screen`: its text, one line per redraw. */
function inTerminal(args: string, cols: number, env: Record<string, string> = {}): { code: number; screen: string; raw: string } {
  const out = join(tmpdir(), `${name}-typescript`);
  const r = spawnSync('script', ['-qec', `stty cols ${cols} rows 40; ${process.execPath} ${BIN} ${args}`, out], {
    cwd: dir,
    env: { ...process.env, CI: '', ...env },
    encoding: 'utf8',
  });
  const raw = execFileSync('cat', [out], { encoding: 'utf8' });
  const screen = stripVTControlCharacters(raw).replace(/\r/g, '\n');
  rmSync(out, { force: true });
  return { code: r.status ?? -1, screen, raw };
}

const RED_FAILED = '\x1b[31mFAILED\x1b[0m';

describe.runIf(hasScript)('mbuild up on a terminal', () => {
  it('draws one row per image with its state, then the summary', () => {
    writeFileSync(
      join(dir, 'mbuild.yaml'),
      [
        `version: 1\nname: ${name}\ndefaults: {network: none}\nimages:`,
        `  good: {dockerfile_inline: "FROM busybox\\nRUN sleep 2 && echo ${name} > /x\\nRUN echo two > /y"}`,
        `  bad: {dockerfile_inline: "FROM busybox\\nRUN exit 3"}`,
        `  app:`,
        `    dockerfile_inline: "FROM good\\nRUN mkdir /out && echo hi > /out/x"`,
        `    outputs: [{path: /out, to: dist}]`,
        '',
      ].join('\n'),
    );
    // One build slot: `bad` or `good` waits for it; `app` waits for `good`.
    const { code, screen, raw } = inTerminal('up --keep-going --builder buildkit -j 1', 120);
    expect(code).toBe(1);
    expect(screen).toMatch(/✔ good built in \d+\.\ds [0-9a-f]{12}/);
    expect(screen).toContain('app waiting for good');
    expect(screen).toMatch(/(bad|good) waiting for a build slot/);
    // Dim, the building rows are not.
    expect(raw).toContain('app \x1b[2mwaiting for good\x1b[0m');
    expect(screen).toMatch(/good building \[2\/3\] [0-9]s \(first build\)/);
    expect(screen).toMatch(/good building \[2\/3\] [1-9]s \(first build\)/);
    expect(screen).toContain('✖ bad FAILED at [2/2] RUN exit 3');
    expect(raw).toContain(`bad ${RED_FAILED} at [2/2] RUN exit 3`);
    expect(screen).toMatch(/IMAGE +RESULT +TIME +IMAGE ID +SIZE/);
    expect(raw).toMatch(new RegExp(`\nbad +${RED_FAILED.replace(/\[/g, '\\[')} +`));
    expect(screen).toMatch(/\noutputs:\n+ {2}app {2}\/out -> dist \(1 file, 3 B\)\n/);
    expect(screen).toContain('done in');
  });

  it('writes FAILED without colour under NO_COLOR', () => {
    const { code, screen, raw } = inTerminal('up bad --builder buildkit', 120, { NO_COLOR: '1' });
    expect(code).toBe(1);
    expect(screen).toContain('✖ bad FAILED at [2/2] RUN exit 3');
    expect(screen).toMatch(/\nbad +FAILED +/);
    // eslint-disable-next-line no-control-regex -- the escapes are what is checked
    expect(raw).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it("counts a classic build over the Dockerfile's own steps, never mbuild's LABEL step", () => {
    const { code, screen } = inTerminal('up bad --builder classic', 120);
    expect(code).toBe(1);
    expect(screen).toContain('✖ bad FAILED at [2/2] RUN exit 3');
    expect(screen).not.toContain('LABEL "io.mbuild');
  });

  it('falls back to plain lines on a terminal without a width', () => {
    const { code, screen } = inTerminal('up good --builder buildkit', 0);
    expect(code).toBe(0);
    expect(screen).toContain('[good] up to date');
  });
});
