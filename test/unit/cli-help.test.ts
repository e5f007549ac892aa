/**
 * `--help` names every environment variable the source reads (found by grep over src/ and
 * bin/: a variable read without being documented fails this test), with examples, for the
 * program and every command.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, ENVIRONMENT } from '../../src/cli/help.js';
import { REPO, runCli } from '../helpers/run-cli.js';

/** `env['X']`, `env()['X']`, `env.X`, `own(...env, 'X')`: the names the source reads. */
const READS = [/\benv(?:\(\))?\[['"]([A-Z][A-Z0-9_]*)['"]\]/g, /\benv\.([A-Z][A-Z0-9_]*)\b/g, /own\([\w.]*env, '([A-Z][A-Z0-9_]*)'\)/g];

function variablesRead(): Set<string> {
  const files = [
    ...readdirSync(join(REPO, 'src'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.generated.ts'))
      .map((e) => join(e.parentPath, e.name)),
    join(REPO, 'bin', 'mbuild.js'),
  ];
  const names = new Set<string>();
  for (const f of files) for (const re of READS) for (const m of readFileSync(f, 'utf8').matchAll(re)) names.add(m[1]!);
  return names;
}

describe('--help', () => {
  it('names every environment variable the source reads', async () => {
    const read = variablesRead();
    // The grep finds what it must: a pattern that stops matching fails here.
    for (const known of ['DOCKER_HOST', 'DOCKER_CONFIG', 'SSH_AUTH_SOCK', 'NO_COLOR', 'BUILDKIT_PROGRESS', 'DOCKER_BUILDKIT', 'XDG_CACHE_HOME', 'HOME'])
      expect(read).toContain(known);
    const help = await runCli(['--help'], { cwd: REPO });
    expect(help.code).toBe(0);
    for (const name of read) expect(help.stdout, name).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([...read].sort());
  });

  it('gives every command examples, and the variables it reads', async () => {
    const help = (await runCli(['--help'], { cwd: REPO })).stdout;
    const section = help.slice(help.indexOf('\nCommands:\n'), help.indexOf('\n\n', help.indexOf('\nCommands:\n') + 1));
    const commands = section.match(/^ {2}([a-z]+)\b/gm)!.map((l) => l.trim());
    const listed = commands.filter((c) => c !== 'help');
    expect(Object.keys(COMMAND_HELP).sort()).toEqual([...listed].sort());
    for (const c of listed) {
      const r = await runCli([c, '--help'], { cwd: REPO });
      expect(r.stdout, c).toContain('\nExamples:\n  $ mbuild ');
      for (const name of COMMAND_HELP[c]!.env) expect(r.stdout, `${c} ${name}`).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect((await runCli(['up', '--help'], { cwd: REPO })).stdout).toMatch(/^ {2}DOCKER_BUILDKIT +0: the classic builder/m);
  });
});
