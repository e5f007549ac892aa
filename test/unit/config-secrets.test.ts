/**
 * Secrets and ssh in the build file (issue 18): the schema, the normalised model, defaults
 * merged per id, each rule with its exact message and place, the classic builder's
 * diagnostic, `mbuild config` output, and readSecretValue. No message may hold a value.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildModel, loadBuildFile } from '../../src/config/load.js';
import { resolvedBuildFile } from '../../src/config/print.js';
import { secretSourceMissing, sessionProblems, sshDuplicateId, sshSourceMissing } from '../../src/config/rules/sessions.js';
import type { Rule } from '../../src/config/rules/rule.js';
import type { BuildFile } from '../../src/config/types.js';
import type { Diagnostic } from '../../src/core/diagnostic.js';
import { MAX_SECRET_BYTES, readSecretValue } from '../../src/core/secret-value.js';
import { needsSession } from '../../src/core/session-need.js';
import { position } from '../../src/report/diagnostic-printer.js';
import { testdir, type Tree } from '../helpers/testdir.js';
import { listenSocket } from '../helpers/unix-socket.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

const FROM = 'dockerfile_inline: "FROM busybox"';
/** A value no message may ever contain. */
const VALUE = 's3cr3t-VALUE-never-shown';

function project(yaml: string, extra: Tree = {}): string {
  const t = testdir({ 'mbuild.yaml': `version: 1\nname: p\n${yaml}`, ...extra });
  cleanups.push(t.cleanup);
  return t.dir;
}

const at = (d: Diagnostic): string => {
  const { line, column } = d.location ? position(d.location.file, d.location.range.offset) : { line: 0, column: 0 };
  return `${line}:${column} ${d.severity} ${d.message}`;
};

async function model(dir: string, env: Record<string, string> = {}): Promise<BuildFile> {
  const m = await buildModel({ cwd: dir, env });
  if (!m.ok) throw new Error(m.error.diagnostics.map(at).join('\n'));
  return m.value.file;
}

async function rule(r: Rule, dir: string, env: Record<string, string> = {}): Promise<string[]> {
  const m = await buildModel({ cwd: dir, env });
  if (!m.ok) throw new Error(m.error.diagnostics.map(at).join('\n'));
  return r(m.value).map(at);
}

async function schemaErrors(yaml: string): Promise<string[]> {
  const m = await buildModel({ cwd: project(yaml), env: {} });
  if (m.ok) return [];
  return m.error.diagnostics.map(at);
}

describe('secrets and ssh: the model', () => {
  it('normalises both secret sources and every ssh form, sorted by id, with their origins', async () => {
    const dir = project(
      `images:\n  app:\n    ${FROM}\n    secrets:\n      zz: {env: TOKEN}\n      netrc: {file: ./secrets/netrc}\n      home: {file: ~/.npmrc}\n` +
        `    secret_in_key: true\n    ssh: [default, "github=~/.ssh/id_ed25519,keys/b"]\n  other:\n    ${FROM}\n    ssh: {gitlab: keys/c, agent: null, two: [keys/d, /abs/e]}\n`,
    );
    const file = await model(dir, { HOME: '/home/u' });
    const app = file.images.get('app')!;
    expect(app.secrets).toEqual([
      { id: 'home', source: { kind: 'file', path: '/home/u/.npmrc' }, origin: ['images', 'app', 'secrets', 'home'] },
      { id: 'netrc', source: { kind: 'file', path: join(dir, 'secrets/netrc') }, origin: ['images', 'app', 'secrets', 'netrc'] },
      { id: 'zz', source: { kind: 'env', name: 'TOKEN' }, origin: ['images', 'app', 'secrets', 'zz'] },
    ]);
    expect(app.secretInKey).toBe(true);
    expect(app.ssh).toEqual([
      { id: 'default', paths: [], origin: ['images', 'app', 'ssh', 0] },
      { id: 'github', paths: ['/home/u/.ssh/id_ed25519', join(dir, 'keys/b')], origin: ['images', 'app', 'ssh', 1] },
    ]);
    const other = file.images.get('other')!;
    expect(other.secrets).toEqual([]);
    expect(other.secretInKey).toBe(false);
    expect(other.ssh).toEqual([
      { id: 'agent', paths: [], origin: ['images', 'other', 'ssh', 'agent'] },
      { id: 'gitlab', paths: [join(dir, 'keys/c')], origin: ['images', 'other', 'ssh', 'gitlab'] },
      { id: 'two', paths: [join(dir, 'keys/d'), '/abs/e'], origin: ['images', 'other', 'ssh', 'two'] },
    ]);
    expect([needsSession(app), needsSession(other), needsSession({ secrets: [], ssh: [] })]).toEqual([true, true, false]);
  });

  it('merges defaults per id (the image wins), and extends inherits them', async () => {
    const dir = project(
      `defaults:\n  secrets: {npm: {env: NPM}, pip: {env: PIP}}\n  ssh: [default]\n  secret_in_key: true\n` +
        `images:\n  a:\n    ${FROM}\n    secrets: {pip: {file: pip.conf}}\n    ssh: {github: k}\n  b:\n    extends: a\n    secrets: {extra: {env: X}}\n    secret_in_key: false\n`,
    );
    const file = await model(dir);
    const a = file.images.get('a')!;
    expect(a.secrets.map((s) => [s.id, s.source, s.origin])).toEqual([
      ['npm', { kind: 'env', name: 'NPM' }, ['defaults', 'secrets', 'npm']],
      ['pip', { kind: 'file', path: join(dir, 'pip.conf') }, ['images', 'a', 'secrets', 'pip']],
    ]);
    expect(a.ssh.map((s) => [s.id, s.origin])).toEqual([
      ['default', ['defaults', 'ssh', 0]],
      ['github', ['images', 'a', 'ssh', 'github']],
    ]);
    expect(a.secretInKey).toBe(true);
    const b = file.images.get('b')!;
    expect(b.secrets.map((s) => [s.id, s.origin])).toEqual([
      ['extra', ['images', 'b', 'secrets', 'extra']],
      ['npm', ['defaults', 'secrets', 'npm']],
      ['pip', ['images', 'a', 'secrets', 'pip']],
    ]);
    expect(b.ssh.map((s) => s.id)).toEqual(['default', 'github']);
    expect(b.secretInKey).toBe(false);
  });

  it('keeps an ssh id such as __proto__ a plain entry (a map key __proto__ is refused by the YAML check)', async () => {
    const file = await model(project(`images:\n  a:\n    ${FROM}\n    ssh: [__proto__, "constructor=k"]\n`));
    expect(file.images.get('a')!.ssh.map((s) => s.id)).toEqual(['__proto__', 'constructor']);
  });

  it('reads {env:} from the environment over .env, without --var or vars', async () => {
    const dir = project(`vars: {FROM_VARS: v}\nimages:\n  a: {${FROM}}\n`, { '.env': 'FROM_DOTENV=d\nBOTH=file\n' });
    const m = await buildModel({ cwd: dir, env: { BOTH: 'env', ONLY_ENV: 'e' }, vars: { FROM_VAR: 'x' } });
    if (!m.ok) throw new Error('load failed');
    expect(m.value.file.environment).toEqual({ FROM_DOTENV: 'd', BOTH: 'env', ONLY_ENV: 'e' });
  });

  it('refuses bad shapes in the schema, at their place', async () => {
    expect(
      await schemaErrors(
        `images:\n  a:\n    ${FROM}\n    secrets:\n      "bad id": {env: X}\n      both: {env: X, file: y}\n      none: {}\n      lower: {env: "1X"}\n      str: TOKEN\n` +
          `    ssh: ["=x", "ok=", "ok=a,,b"]\n  b:\n    ${FROM}\n    ssh: default\n  c:\n    ${FROM}\n    ssh: {x: 1}\n`,
      ),
    ).toEqual([
      "7:7 error invalid secret id 'bad id' in images.a.secrets: use letters, digits, '.', '_' and '-'",
      '8:13 error images.a.secrets.both must be either {env: VARIABLE} or {file: PATH}',
      '9:13 error images.a.secrets.none must be either {env: VARIABLE} or {file: PATH}',
      '10:20 error images.a.secrets.lower.env must be an environment variable name (letters, digits and _, not starting with a digit), not "1X"',
      '11:12 error images.a.secrets.str must be a mapping',
      "12:11 error images.a.ssh[0] must be ID or ID=PATH[,PATH] (an id of letters, digits, '.', '_' and '-'), not \"=x\"",
      "12:17 error images.a.ssh[1] must be ID or ID=PATH[,PATH] (an id of letters, digits, '.', '_' and '-'), not \"ok=\"",
      "12:24 error images.a.ssh[2] must be ID or ID=PATH[,PATH] (an id of letters, digits, '.', '_' and '-'), not \"ok=a,,b\"",
      '15:10 error images.b.ssh must be a list ([default, ID=PATH]) or a mapping ({ID: PATH})',
      '18:14 error images.c.ssh.x must be a path, a list of paths, or empty (the agent at $SSH_AUTH_SOCK)',
    ]);
  });
});

describe('secrets and ssh: the rules', () => {
  it('secretSourceMissing: an unset variable, a missing file, a folder, a file over 500 KiB, each at its value', async () => {
    const dir = project(
      `images:\n  a:\n    ${FROM}\n    secrets:\n      set: {env: SET}\n      dotenv: {env: FROM_DOTENV}\n      unset: {env: NOPE}\n` +
        `      ok: {file: ok.txt}\n      gone: {file: gone.txt}\n      dir: {file: folder}\n      big: {file: big.bin}\n      link: {file: link}\n`,
      { 'ok.txt': VALUE, '.env': `FROM_DOTENV=${VALUE}\n`, 'folder/': '', 'big.bin': 'x'.repeat(MAX_SECRET_BYTES + 1) },
    );
    symlinkSync('ok.txt', join(dir, 'link'));
    const found = await rule(secretSourceMissing, dir, { SET: VALUE });
    expect(found).toEqual([
      `13:19 error secret 'big': secret file big.bin is too large (${MAX_SECRET_BYTES + 1} bytes; the limit is ${MAX_SECRET_BYTES}, 500 KiB)`,
      "12:19 error secret 'dir': secret file folder is a folder; a secret must be a regular file",
      "11:20 error secret 'gone': secret file gone.txt does not exist",
      "9:20 error secret 'unset': environment variable NOPE is not set; set it, or write it in .env beside the build file or an --env-file",
    ]);
    expect(found.join('\n')).not.toContain(VALUE);
  });

  it('secretSourceMissing: a FIFO is refused without waiting for a writer', async () => {
    const dir = project(`images:\n  a:\n    ${FROM}\n    secrets: {pipe: {file: fifo}}\n`);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(await rule(secretSourceMissing, dir)).toEqual(["6:28 error secret 'pipe': secret file fifo is not a regular file (a device, a FIFO or a socket)"]);
  });

  it('secretSourceMissing: a problem of a secret in defaults is reported once, at defaults', async () => {
    const dir = project(`defaults:\n  secrets: {t: {env: NOPE}}\nimages:\n  a: {${FROM}}\n  b: {${FROM}}\n`);
    const m = await loadBuildFile({ cwd: dir, env: {} });
    expect(m.ok ? [] : m.error.diagnostics.map(at)).toEqual([
      "4:22 error secret 't': environment variable NOPE is not set; set it, or write it in .env beside the build file or an --env-file",
    ]);
  });

  it('sshSourceMissing: the agent without $SSH_AUTH_SOCK, a key that is not there', async () => {
    const dir = project(`images:\n  a:\n    ${FROM}\n    ssh: [default, "k=key,nokey"]\n  b:\n    ${FROM}\n    ssh: {agent: null, k: [key]}\n`, { key: 'k' });
    const close = await listenSocket(join(dir, 'agent.sock'));
    cleanups.push(() => void close());
    expect(await rule(sshSourceMissing, dir, { SSH_AUTH_SOCK: join(dir, 'agent.sock') })).toEqual([
      "6:20 error ssh 'k': nokey does not exist (a private key file or an SSH agent socket)",
    ]);
    expect(await rule(sshSourceMissing, dir)).toEqual([
      `6:11 error ssh 'default' forwards the SSH agent at $SSH_AUTH_SOCK, which is not set; start an agent (eval "$(ssh-agent)"; ssh-add), or give a key: default=~/.ssh/id_ed25519`,
      "6:20 error ssh 'k': nokey does not exist (a private key file or an SSH agent socket)",
      `9:11 error ssh 'agent' forwards the SSH agent at $SSH_AUTH_SOCK, which is not set; start an agent (eval "$(ssh-agent)"; ssh-add), or give a key: agent=~/.ssh/id_ed25519`,
    ]);
  });

  it('sshSourceMissing: a folder given as a key (ssh-add would fail only once the build asks)', async () => {
    const dir = project(`images:\n  a:\n    ${FROM}\n    ssh: ["k=keys"]\n`, { 'keys/id': 'k' });
    expect(await rule(sshSourceMissing, dir)).toEqual(["6:11 error ssh 'k': keys is a folder; give a private key file or an SSH agent socket"]);
  });

  it('sshSourceMissing: $SSH_AUTH_SOCK of an agent that is gone', async () => {
    const dir = project(`images:\n  a:\n    ${FROM}\n    ssh: [default]\n`, { 'not-a-socket': '' });
    expect(await rule(sshSourceMissing, dir, { SSH_AUTH_SOCK: join(dir, 'gone.sock') })).toEqual([
      `6:11 error ssh 'default' forwards the SSH agent at $SSH_AUTH_SOCK, but $SSH_AUTH_SOCK is ${join(dir, 'gone.sock')}, which is no socket: is the agent still running? (eval "$(ssh-agent)"; ssh-add)`,
    ]);
    expect(await rule(sshSourceMissing, dir, { SSH_AUTH_SOCK: join(dir, 'not-a-socket') })).toHaveLength(1);
  });

  it('sshDuplicateId: an id twice in one list', async () => {
    const dir = project(`defaults:\n  ssh: [a, a]\nimages:\n  x:\n    ${FROM}\n    ssh: [default, "default=k"]\n`, { k: '' });
    expect(await rule(sshDuplicateId, dir)).toEqual([
      "4:12 error ssh id 'a' is given twice in this list",
      "8:20 error ssh id 'default' is given twice in this list",
    ]);
  });
});

describe('secrets and ssh: the classic builder', () => {
  it('sessionProblems: one error at each secrets: / ssh: key, naming the images; none under BuildKit', async () => {
    const dir = project(
      `defaults:\n  secrets: {t: {env: T}}\nimages:\n  a: {${FROM}}\n  b:\n    ${FROM}\n    ssh: [default]\n  c:\n    ${FROM}\n    secrets: {}\n`,
    );
    const file = await model(dir, { T: VALUE, SSH_AUTH_SOCK: '/x' });
    expect(sessionProblems(file, 'buildkit')).toEqual([]);
    expect(sessionProblems(file, 'classic').map(at)).toEqual([
      "4:3 error secrets need BuildKit (the classic builder has no sessions): images 'a', 'b'; build with --builder buildkit or auto on an engine with BuildKit",
      "9:5 error ssh forwarding needs BuildKit (the classic builder has no sessions): image 'b'; build with --builder buildkit or auto on an engine with BuildKit",
      "12:5 error secrets need BuildKit (the classic builder has no sessions): image 'c'; build with --builder buildkit or auto on an engine with BuildKit",
    ]);
    // Only the images about to be built.
    expect(sessionProblems(file, 'classic', ['c']).map(at)).toEqual([
      "12:5 error secrets need BuildKit (the classic builder has no sessions): image 'c'; build with --builder buildkit or auto on an engine with BuildKit",
    ]);
  });
});

describe('mbuild config', () => {
  it('prints where each secret comes from and the ssh ids, never a value, and loads back', async () => {
    const dir = project(
      `images:\n  a:\n    ${FROM}\n    secrets: {tok: {env: TOK}, file: {file: ./s/f}, home: {file: ~/h}}\n    secret_in_key: true\n    ssh: [default, "gh=keys/a,keys/b", "one=keys/c"]\n`,
      { 's/f': VALUE },
    );
    const file = await model(dir, { TOK: VALUE, HOME: '/home/u' });
    const printed = resolvedBuildFile(file);
    expect(printed.images['a']).toMatchObject({
      secrets: { file: { file: 's/f' }, home: { file: '/home/u/h' }, tok: { env: 'TOK' } },
      secret_in_key: true,
      ssh: { default: null, gh: ['keys/a', 'keys/b'], one: 'keys/c' },
    });
    expect(JSON.stringify(printed)).not.toContain(VALUE);
    const plain = resolvedBuildFile(await model(project(`images:\n  a: {${FROM}}\n`)));
    expect(Object.keys(plain.images['a']!)).not.toContain('secrets');
    expect(Object.keys(plain.images['a']!)).not.toContain('ssh');
  });
});

describe('readSecretValue', () => {
  it('reads a variable of the given environment, and says which one is unset', () => {
    expect(readSecretValue({ kind: 'env', name: 'T' }, { T: VALUE })).toEqual({ ok: true, value: Buffer.from(VALUE) });
    expect(readSecretValue({ kind: 'env', name: 'T' }, { T: '' })).toEqual({ ok: true, value: Buffer.alloc(0) });
    expect(readSecretValue({ kind: 'env', name: 'T' }, {})).toEqual({ ok: false, error: 'environment variable T is not set' });
    expect(readSecretValue({ kind: 'env', name: 'toString' }, {})).toEqual({ ok: false, error: 'environment variable toString is not set' });
    const big = readSecretValue({ kind: 'env', name: 'T' }, { T: VALUE.repeat(MAX_SECRET_BYTES) });
    expect(big.ok).toBe(false);
    expect(JSON.stringify(big)).not.toContain(VALUE);
  });

  it('reads a regular file (through a symlink), refuses anything else, never quoting it', () => {
    const t = testdir({ f: VALUE, big: VALUE.repeat(Math.ceil(MAX_SECRET_BYTES / VALUE.length) + 1), 'd/': '', max: 'x'.repeat(MAX_SECRET_BYTES) });
    cleanups.push(t.cleanup);
    symlinkSync('f', join(t.dir, 'link'));
    symlinkSync('gone', join(t.dir, 'dangling'));
    const read = (name: string) => readSecretValue({ kind: 'file', path: join(t.dir, name) }, {});
    expect(read('f')).toEqual({ ok: true, value: Buffer.from(VALUE) });
    expect(read('link')).toEqual({ ok: true, value: Buffer.from(VALUE) });
    const max = read('max');
    expect(max.ok ? max.value.length : max.error).toBe(MAX_SECRET_BYTES);
    const errors = ['big', 'd', 'gone', 'dangling'].map((n) => {
      const r = read(n);
      return r.ok ? 'read' : r.error.split(t.dir).join('<dir>');
    });
    expect(errors).toEqual([
      `secret file <dir>/big is too large (${VALUE.length * (Math.ceil(MAX_SECRET_BYTES / VALUE.length) + 1)} bytes; the limit is ${MAX_SECRET_BYTES}, 500 KiB)`,
      'secret file <dir>/d is a folder; a secret must be a regular file',
      'secret file <dir>/gone does not exist',
      'secret file <dir>/dangling does not exist',
    ]);
    expect(errors.join('\n')).not.toContain(VALUE);
  });
});
