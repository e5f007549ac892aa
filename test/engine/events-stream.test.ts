/**
 * A real run's NDJSON stream (`up --progress json` on the engine: two images, an edge, one
 * failure with -k) validated line by line against schema/events.schema.json; then `up -q`
 * prints exactly the image IDs the engine has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/run-cli.js';
import { tempProject } from '../helpers/temp-project.js';

/** ajv is CommonJS: its class is the default export's `default`. */
const Ajv2020 = AjvModule.default;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(readFileSync(join(REPO, 'schema', 'events.schema.json'), 'utf8')) as object);

// Made when the tests run, not when vitest collects the file: a filtered run leaves no folder.
let project: ReturnType<typeof tempProject>;
beforeAll(() => {
  project = tempProject('events', (name) => ({
    'mbuild.yaml': `version: 1\nname: ${name}\ndefaults: {network: none}\nimages:\n  base: {context: base}\n  app:\n    context: app\n    args: {BASE: {image: base}}\n  bad: {context: bad}\n`,
    'base/Dockerfile': 'FROM busybox\nRUN echo base > /base\n',
    'app/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN cat /base\n',
    'bad/Dockerfile': 'FROM busybox\nRUN exit 3\n',
  }));
});
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when every test was filtered out
afterAll(() => project?.cleanup());

describe('the NDJSON stream of a real run', () => {
  it('is valid against the schema, line by line, and the IDs of up -q are the engine', async () => {
    const env = { ...process.env };
    const r = await runCli(['up', '-k', '--progress', 'json'], { cwd: project.dir, env });
    expect(r.code).toBe(1);
    const events = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; version: number });
    for (const e of events) expect(validate(e), `${JSON.stringify(e)}\n${JSON.stringify(validate.errors)}`).toBe(true);
    const kinds = new Set(events.map((e) => e.type));
    for (const k of ['run-started', 'image-started', 'image-step', 'image-done', 'run-finished']) expect(kinds).toContain(k);
    const finished = events.at(-1) as unknown as { type: string; results: { image: string; outcome: { kind: string; imageId?: string } }[] };
    expect(finished.type).toBe('run-finished');
    expect(finished.results.map((x) => `${x.image} ${x.outcome.kind}`).sort()).toEqual(['app built', 'bad failed', 'base built']);

    const q = await runCli(['up', 'app', '-q'], { cwd: project.dir, env });
    expect(q.code, q.stderr).toBe(0);
    const ids = finished.results.filter((x) => x.image !== 'bad').map((x) => x.outcome.imageId);
    expect(q.stdout).toBe(`${ids.join('\n')}\n`);
    expect(q.stdout).toMatch(/^(sha256:[0-9a-f]{64}\n){2}$/);
  });
});
