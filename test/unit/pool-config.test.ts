/** The engine pool's configuration: `--engine` specs, the engines file and which one wins (pool/config.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { enginesFile, loadEnginesFile, parseEngineFlag, resolvePool } from '../../src/pool/config.js';
import { parseEnginesFile } from '../../src/pool/engines-file.js';
import { formatDiagnostics } from '../../src/report/diagnostic-printer.js';
import { testdir } from '../helpers/testdir.js';

const flagError = (spec: string): string => {
  const r = parseEngineFlag(spec);
  if (r.ok) throw new Error(`accepted: ${spec}`);
  return r.error;
};

describe('parseEngineFlag', () => {
  it('reads hosts and docker contexts, with slots and a name; the default name is the context, else the endpoint', () => {
    expect(parseEngineFlag('unix:///var/run/docker.sock')).toEqual({
      ok: true,
      value: { name: 'unix:///var/run/docker.sock', host: 'unix:///var/run/docker.sock', origin: { kind: 'flag', text: 'unix:///var/run/docker.sock' } },
    });
    expect(parseEngineFlag('tcp://10.0.0.2:2376,slots=3,name=ci')).toEqual({
      ok: true,
      value: { name: 'ci', host: 'tcp://10.0.0.2:2376', slots: 3, origin: { kind: 'flag', text: 'tcp://10.0.0.2:2376,slots=3,name=ci' } },
    });
    expect(parseEngineFlag('ssh://me@builder, slots=256')).toMatchObject({
      ok: true,
      value: { name: 'ssh://me@builder', host: 'ssh://me@builder', slots: 256 },
    });
    expect(parseEngineFlag('big-box.2')).toMatchObject({ ok: true, value: { name: 'big-box.2', context: 'big-box.2' } });
    const value = (parseEngineFlag('desktop-linux') as { value: object }).value;
    expect('host' in value || 'slots' in value).toBe(false);
  });

  it('says what is wrong with a spec', () => {
    expect(flagError('')).toBe(
      "--engine '': no endpoint: write unix://PATH, tcp://HOST:PORT, ssh://[USER@]HOST or a docker context name, then ,slots=N or ,name=NAME",
    );
    expect(flagError(',slots=2')).toMatch(/^--engine ',slots=2': no endpoint/);
    expect(flagError('ci,slot=2')).toBe("--engine 'ci,slot=2': unknown option 'slot' (the options are slots=N and name=NAME)");
    expect(flagError('ci,slots=0')).toBe("--engine 'ci,slots=0': slots must be a whole number from 1 to 256, not '0'");
    expect(flagError('ci,slots=abc')).toBe("--engine 'ci,slots=abc': slots must be a whole number from 1 to 256, not 'abc'");
    expect(flagError('ci,slots=257')).toBe("--engine 'ci,slots=257': slots must be a whole number from 1 to 256, not '257'");
    expect(flagError('ci,slots=1.5')).toMatch(/not '1.5'$/);
    expect(flagError('ci,slots')).toBe("--engine 'ci,slots': slots needs a value: slots=N");
    expect(flagError('ci,name=a,name=b')).toBe("--engine 'ci,name=a,name=b': name is given twice");
    expect(flagError('ci,name=')).toBe("--engine 'ci,name=': name is empty");
    expect(flagError('http://x')).toBe("--engine 'http://x': 'http://x': the scheme must be unix://, tcp:// or ssh://");
    expect(flagError('unix://')).toBe("--engine 'unix://': 'unix://': no socket path after unix://");
    expect(flagError('tcp://')).toMatch(/^--engine 'tcp:\/\/': 'tcp:\/\/' is not a valid URL|no host/);
    expect(flagError('tcp://h:2375/x')).toBe("--engine 'tcp://h:2375/x': 'tcp://h:2375/x': tcp:// takes no path");
    expect(flagError('-bad')).toBe(
      "--engine '-bad': '-bad' is not a docker context name (letters, digits and _.+-, at least two, starting with a letter or digit)",
    );
    expect(flagError('a')).toMatch(/'a' is not a docker context name/);
  });
});

describe('enginesFile', () => {
  it('is MBUILD_ENGINES_FILE, else under XDG_CONFIG_HOME, else under HOME', () => {
    expect(enginesFile({ MBUILD_ENGINES_FILE: '/x/e.yaml', XDG_CONFIG_HOME: '/c', HOME: '/h' })).toBe('/x/e.yaml');
    expect(enginesFile({ XDG_CONFIG_HOME: '/c', HOME: '/h' })).toBe('/c/mbuild/engines.yaml');
    expect(enginesFile({ MBUILD_ENGINES_FILE: '', XDG_CONFIG_HOME: ' ', HOME: '/h' })).toBe('/h/.config/mbuild/engines.yaml');
    expect(enginesFile({})).toBeUndefined();
  });
});

const printed = (text: string): string => {
  const r = parseEnginesFile({ path: '/p/engines.yaml', text });
  if (r.ok) throw new Error('accepted');
  return formatDiagnostics(r.error, { cwd: '/p', color: false })
    .split('\n')
    .filter((l) => l.startsWith('engines.yaml:'))
    .join('\n');
};

describe('the engines file', () => {
  it('reads hosts and contexts with their line and column', () => {
    const text = 'engines:\n  - host: unix:///var/run/docker.sock\n    slots: 2\n    name: home\n  - context: ci-box\n';
    expect(parseEnginesFile({ path: '/p/engines.yaml', text })).toEqual({
      ok: true,
      value: [
        { name: 'home', host: 'unix:///var/run/docker.sock', slots: 2, origin: { kind: 'file', path: '/p/engines.yaml', line: 2, column: 5 } },
        { name: 'ci-box', context: 'ci-box', origin: { kind: 'file', path: '/p/engines.yaml', line: 5, column: 5 } },
      ],
    });
  });

  it('reports every problem at once, each at its line and column', () => {
    const text = [
      'engines:',
      '  - host: unix:///a.sock', // 2
      '    context: ci', // 3: both
      '  - slots: 2', // 4: neither
      '  - host: tcp://h:1', // 5
      '    slots: 0', // 6
      '    colour: red', // 7
      '  - context: -x', // 8
      '  - host: ci', // 9
      '  - host: unix:///b.sock', // 10
      '    slots: abc', // 11
      '  - host: unix:///c.sock', // 12
      '    name: home', // 13
      '  - context: home', // 14: duplicate name
      '  - just text', // 15
      'extra: 1', // 16
    ].join('\n');
    expect(printed(text)).toBe(
      [
        "engines.yaml:16:1: error: unknown key 'extra' (the engines file has one key, `engines:`)",
        'engines.yaml:3:5: error: give either host or context, not both',
        'engines.yaml:4:5: error: an engine needs host (unix://, tcp://, ssh://) or context (a docker context name)',
        "engines.yaml:7:5: error: unknown key 'colour' of an engine (the keys are host, context, slots and name)",
        "engines.yaml:6:12: error: slots must be a whole number from 1 to 256, not '0'",
        "engines.yaml:8:14: error: '-x' is not a docker context name (letters, digits and _.+-, at least two, starting with a letter or digit)",
        "engines.yaml:9:11: error: 'ci' is not an endpoint: write unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST",
        "engines.yaml:11:12: error: slots must be a whole number from 1 to 256, not 'abc'",
        "engines.yaml:14:14: error: two engines are named 'home': give one of them another `name:`",
        "engines.yaml:13:11: note: 'home' is named here first",
        'engines.yaml:15:5: error: an engine must be a mapping: `- host: unix:///var/run/docker.sock` or `- context: NAME`',
      ].join('\n'),
    );
  });

  it('suggests the key meant', () => {
    expect(printed('engine:\n  - host: unix:///a\n')).toBe(
      [
        "engines.yaml:1:1: error: unknown key 'engine' (the engines file has one key, `engines:`); did you mean 'engines'?",
        'engines.yaml:1:1: error: no `engines:` list: name at least one engine',
      ].join('\n'),
    );
    expect(printed('engines:\n  - hots: unix:///a\n')).toMatch(/^engines.yaml:2:5: error: unknown key 'hots' of an engine .*; did you mean 'host'\?/);
  });

  it('refuses an empty list, a list that is not one, an empty file, a scalar, and YAML it cannot read', () => {
    expect(printed('engines: []\n')).toBe('engines.yaml:1:10: error: `engines:` is empty: name at least one engine, or remove the file');
    expect(printed('engines:\n  host: unix:///a\n')).toBe('engines.yaml:2:3: error: `engines:` must be a list of engines (`- host: …` or `- context: …`)');
    expect(printed('engines:\n')).toBe('engines.yaml:1:1: error: `engines:` must be a list of engines (`- host: …` or `- context: …`)');
    expect(printed('')).toBe('engines.yaml:1:1: error: engines file is empty: write `engines:` and a list of engines');
    expect(printed('- host: unix:///a\n')).toBe('engines.yaml:1:1: error: engines file must be a mapping with one key, `engines:`');
    expect(printed('engines:\n  - host: [unix:///a\n')).toMatch(/^engines.yaml:\d+:\d+: error: /);
    expect(printed('engines:\n  - host: unix:///a\n    host: unix:///b\n')).toMatch(/^engines.yaml:3:5: error: Map keys must be unique/);
  });
});

describe('loadEnginesFile and resolvePool', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('no file is no pool; flags win over the file, which is then not read', () => {
    const t = testdir({ 'engines.yaml': 'engines:\n  - context: from-file\n', 'bad.yaml': 'engines: nope\n' });
    cleanup = t.cleanup;
    expect(loadEnginesFile(`${t.dir}/absent.yaml`)).toEqual({ ok: true, value: undefined });
    expect(resolvePool([], { MBUILD_ENGINES_FILE: `${t.dir}/absent.yaml` })).toEqual({ ok: true, value: undefined });
    expect(resolvePool([], {})).toEqual({ ok: true, value: undefined });
    expect(resolvePool([], { MBUILD_ENGINES_FILE: `${t.dir}/engines.yaml` })).toMatchObject({ ok: true, value: [{ name: 'from-file' }] });
    expect(resolvePool(['ci-a', 'ci-b,slots=1'], { MBUILD_ENGINES_FILE: `${t.dir}/bad.yaml` })).toMatchObject({
      ok: true,
      value: [{ name: 'ci-a' }, { name: 'ci-b', slots: 1 }],
    });
    expect(resolvePool(['ci-a'], { XDG_CONFIG_HOME: t.dir })).toMatchObject({ ok: true, value: [{ name: 'ci-a' }] });
    const bad = resolvePool([], { MBUILD_ENGINES_FILE: `${t.dir}/bad.yaml` });
    expect(bad.ok).toBe(false);
    const unreadable = loadEnginesFile(t.dir);
    expect(unreadable.ok ? '' : unreadable.error[0]!.message).toMatch(/^cannot read engines file .*EISDIR/);
  });

  it('reports every bad flag and each name taken twice', () => {
    const r = resolvePool(['ci,slots=0', 'unix:///a.sock,name=x', 'tcp://h:1,name=x', 'nope,bad=1', 'unix:///a.sock,name=y'], {});
    expect(r.ok ? [] : r.error.map((d) => d.message)).toEqual([
      "--engine 'ci,slots=0': slots must be a whole number from 1 to 256, not '0'",
      "--engine 'tcp://h:1,name=x': the name 'x' is taken by --engine 'unix:///a.sock,name=x'; add ,name=NAME to one of them",
      "--engine 'nope,bad=1': unknown option 'bad' (the options are slots=N and name=NAME)",
    ]);
    const same = resolvePool(['ci', 'ci'], {});
    expect(same.ok ? [] : same.error.map((d) => d.code)).toEqual(['engine-name-duplicate']);
  });
});
