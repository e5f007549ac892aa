/**
 * `mbuild up` failures on the real engine, both builders: a failing RUN (exit 1 → the
 * failing step, its Dockerfile line, the last 30 log lines, the full log on disk), a COPY
 * of a file missing from the context, the default policy (a failure starts nothing new
 * but lets running builds finish) and --keep-going (everything not downstream of the
 * failure is built). Tags are applied only after success: a failed image's tag keeps
 * pointing where it pointed before.
 *
 * Fixture test/fixtures/up/failures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileInImage, idOf, tagDecoy } from '../helpers/engine-docker.js';
import { count, failureOf, imageIdOf, intervals, outcomes, parseEvents } from '../helpers/engine-events.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';

const projects: TestProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind by the test project').toEqual([]);
});

function project(label: string): TestProject {
  const p = copyFixture('failures', label);
  projects.push(p);
  return p;
}

/** Rows of the summary table printed at the end of a plain run: image -> RESULT column. */
function summaryRows(stdout: string): Record<string, string> {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => /^IMAGE\s+RESULT\s+TIME\s+IMAGE ID\s+SIZE$/.test(l));
  if (head === -1) throw new Error(`no summary table in:\n${stdout}`);
  const rows: Record<string, string> = {};
  for (const l of lines.slice(head + 1)) {
    const m = /^(\S+)\s+(built|up to date|FAILED|skipped|cancelled|not started)\s/.exec(l);
    if (!m) break;
    rows[m[1]!] = m[2]!;
  }
  return rows;
}

const BAD_RUN = 'RUN for i in $(seq 1 40); do echo "bad-line-$i"; done; exit 1';

describe.each(['buildkit', 'classic'] as const)('mbuild up --builder %s: failures', (builder) => {
  it('a RUN that exits 1: exit code 1, the failing step, its Dockerfile line, the last 30 log lines, the full log, no tag moved', async () => {
    const p = project(`run-${builder.slice(0, 2)}`);
    const decoy = tagDecoy(`${p.name}/bad:t`);
    const r = await p.up(['bad', '--builder', builder, '--progress', 'plain']);
    expect(r.code).toBe(1);
    expect(summaryRows(r.stdout)).toEqual({ bad: 'FAILED' });
    expect(r.stdout).toMatch(/^done in [\d.]+s: 1 failed$/m);

    const err = r.stderr.split('\n');
    const head = err.findIndex((l) => l.startsWith("error: image 'bad' "));
    expect(head, r.stderr).toBeGreaterThan(-1);
    // The failing step as the builder names it, and the builder's message with the exit code.
    expect(err[head]).toMatch(/^error: image 'bad' failed at \[\d+\/\d+\] RUN for i in \$\(seq 1 40\); do echo "bad-line-\$i"; done; exit 1: /);
    expect(err[head]).toMatch(builder === 'classic' ? /returned a non-zero code: 1$/ : /exit code: 1$/);
    // Its Dockerfile line: path:3 and the line itself.
    expect(err[head + 1]).toBe(`  --> ${join(p.dir, 'bad', 'Dockerfile')}:3`);
    expect(err[head + 2]).toBe(`   | ${BAD_RUN}`);
    // The last 30 lines of the log, ending with the step's last output and the error.
    const tailHead = err.findIndex((l) => /^ {2}last \d+ log lines:$/.test(l));
    expect(tailHead).toBe(head + 3);
    const n = Number(/last (\d+) log lines/.exec(err[tailHead]!)![1]);
    expect(n).toBe(30);
    const tail = err.slice(tailHead + 1, tailHead + 1 + n);
    expect(
      tail.every((l) => l.startsWith('   | ')),
      tail.join('\n'),
    ).toBe(true);
    const shown = tail.map((l) => l.slice(5));
    const outputLines = shown.filter((l) => /^bad-line-\d+$/.test(l));
    expect(outputLines.at(-1)).toBe('bad-line-40');
    expect(shown).not.toContain('bad-line-1');
    // Consecutive: the tail is the end of the output, not a sample.
    const first = Number(outputLines[0]!.slice('bad-line-'.length));
    expect(outputLines).toEqual(Array.from({ length: 41 - first }, (_, i) => `bad-line-${first + i}`));
    expect(err[tailHead + 1 + n]).toBe('  full log: .mbuild/logs/bad.log');
    // The full log keeps every line.
    const log = readFileSync(join(p.dir, '.mbuild', 'logs', 'bad.log'), 'utf8');
    for (let i = 1; i <= 40; i++) expect(log).toContain(`bad-line-${i}\n`);
    expect(log).toMatch(/RUN for i in \$\(seq 1 40\)/);

    // Tags only after success: the stale tag was not moved, and no default tag appeared.
    expect(idOf(`${p.name}/bad:t`)).toBe(decoy);
  });

  // A COPY of a file missing from the context is refused before the build (exit 2 at its line: bad fixture 97,
  // inputs-precise.test.ts); a COPY --from of a path the image lacks can only fail in the build.
  it('a COPY --from of a file missing from the image: exit code 1, the COPY step and its line, the file named', async () => {
    const p = project(`copy-${builder.slice(0, 2)}`);
    const r = await p.up(['nocopy', '--builder', builder, '--progress', 'json']);
    expect(r.code).toBe(1);
    const events = parseEvents(r.stdout);
    expect(outcomes(events)).toEqual({ nocopy: 'build-failed' });
    const f = failureOf(events, 'nocopy');
    if (f?.reason !== 'build-failed') throw new Error(`not a build failure: ${JSON.stringify(f)}`);
    expect(f.message).toContain('missing.txt');
    expect(f.step).toMatch(/^\[(stage-0 )?\d+\/\d+\] COPY --from=busybox \/missing\.txt \/missing\.txt$/);
    expect(f.dockerfileLine).toEqual({ path: join(p.dir, 'nocopy', 'Dockerfile'), line: 4, text: 'COPY --from=busybox /missing.txt /missing.txt' });
    expect(idOf(`${p.name}/nocopy:t`)).toBeUndefined();
  });

  it('default policy: a failure starts nothing new, the running build finishes, downstream is skipped', async () => {
    const p = project(`stop-${builder.slice(0, 2)}`);
    const r = await p.up(['policy', '--builder', builder, '--progress', 'json', '-j', '2']);
    expect(r.code).toBe(1);
    const events = parseEvents(r.stdout);
    expect(outcomes(events)).toEqual({ bad: 'build-failed', slow: 'built', later: 'not-started', down: 'dependency-failed', 'after-slow': 'not-started' });
    expect(failureOf(events, 'down')).toEqual({ reason: 'dependency-failed', dependency: 'bad' });
    const t = intervals(events);
    // slow was running when bad failed, and was let finish.
    expect(t.get('slow')!.start).toBeLessThan(t.get('bad')!.end);
    expect(t.get('slow')!.endIndex).toBeGreaterThan(t.get('bad')!.endIndex);
    // Nothing started after the failure (later was waiting for a slot, after-slow for slow).
    for (const image of ['later', 'down', 'after-slow']) expect(count(events, 'image-started', image), image).toBe(0);
    expect([...t.keys()].sort()).toEqual(['bad', 'slow']);
    expect(idOf(`${p.name}/slow:t`)).toBe(imageIdOf(events, 'slow'));
    for (const image of ['bad', 'later', 'down', 'after-slow']) expect(idOf(`${p.name}/${image}:t`), image).toBeUndefined();
  });

  it('--keep-going builds everything not downstream of the failure', async () => {
    const p = project(`keep-${builder.slice(0, 2)}`);
    const r = await p.up(['policy', '--keep-going', '--builder', builder, '--progress', 'json', '-j', '2']);
    expect(r.code).toBe(1);
    const events = parseEvents(r.stdout);
    expect(outcomes(events)).toEqual({ bad: 'build-failed', slow: 'built', later: 'built', down: 'dependency-failed', 'after-slow': 'built' });
    expect(failureOf(events, 'down')).toEqual({ reason: 'dependency-failed', dependency: 'bad' });
    const t = intervals(events);
    expect(count(events, 'image-started', 'down')).toBe(0);
    // later took the slot bad left; after-slow waited for slow.
    expect(t.get('later')!.start).toBeGreaterThanOrEqual(t.get('bad')!.end);
    expect(t.get('after-slow')!.startIndex).toBeGreaterThan(t.get('slow')!.endIndex);
    for (const image of ['slow', 'later', 'after-slow']) expect(idOf(`${p.name}/${image}:t`), image).toBe(imageIdOf(events, image));
    for (const image of ['bad', 'down']) expect(idOf(`${p.name}/${image}:t`), image).toBeUndefined();
    expect(fileInImage(`${p.name}/after-slow:t`, '/slow-id')).toBe(`${p.name} slow\n`);
  });
});
