/**
 * `mbuild watch` on a real pseudo-terminal (util-linux `script`, its input a pipe that the
 * pty's line discipline reads): the first run and each cycle drawn with the terminal view
 * (rows, then the summary), watch's own lines between them, and Ctrl-C (a 0x03 byte typed
 * on the terminal) exits 130.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-cli.js';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { uniqueName } from '../helpers/engine-project.js';

const name = uniqueName('wtty');
const dir = mkdtempSync(join(tmpdir(), 'mbt-wtty-'));
const hasScript = spawnSync('script', ['--version']).status === 0;
const IDLE = 'watching for changes...';
let child: ChildProcess | undefined;

afterAll(() => {
  // A run that failed before Ctrl-C leaves its watch running: stopped here, by its PID.
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill();
  rmSync(dir, { recursive: true, force: true });
  expect(removeProjectImages(name)).toEqual([]);
});

describe.runIf(hasScript)('mbuild watch on a terminal', () => {
  it('draws each cycle with the terminal view and exits 130 on Ctrl-C', async () => {
    writeFileSync(
      join(dir, 'mbuild.yaml'),
      `version: 1\nname: ${name}\ndefaults: {network: none}\nimages:\n  w: {dockerfile_inline: "FROM busybox\\nCOPY f /f"}\n`,
    );
    writeFileSync(join(dir, 'f'), 'one\n');
    const watch = spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${process.execPath} ${BIN} watch --builder buildkit`, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, CI: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child = watch;
    let raw = '';
    const idles = () => raw.split(IDLE).length - 1;
    const exited = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
    // Each step acts once the terminal shows what it waits for; the test's timeout bounds it.
    await new Promise<void>((resolve) => {
      watch.stdout.on('data', (d: Buffer) => {
        const before = idles();
        raw += d.toString('utf8');
        if (before === 0 && idles() === 1) writeFileSync(join(dir, 'f'), 'two\n');
        if (before === 1 && idles() === 2) resolve();
      });
    });
    watch.stdin.write('\x03');
    expect(await exited).toBe(130);
    const screen = stripVTControlCharacters(raw).replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    const [first, cycle] = screen.split('change: f -> w');
    expect(first).toMatch(/✔ w built in \d+\.\ds [0-9a-f]{12}/);
    expect(first).toMatch(/IMAGE +RESULT/);
    // The cycle: rows (waiting, building with its counter, done), the summary, then watch's lines.
    expect(cycle).toMatch(/w waiting for/);
    expect(cycle).toMatch(/w building \[2\/2\] \d+s \(context changed: f\)/);
    expect(cycle).toMatch(
      /✔ w built in \d+\.\ds [0-9a-f]{12}\n[\s\S]*IMAGE +RESULT[^\n]*\nw +built[^\n]*\ndone in [^\n]*\nrebuilt w: [0-9a-f]{12}[^\n]*\nwatching for changes\.\.\.\n/,
    );
    expect(cycle).toMatch(/IMAGE +RESULT/);
    expect(screen.split('IMAGE  RESULT').length - 1).toBe(2);
  }, 120_000);
});
