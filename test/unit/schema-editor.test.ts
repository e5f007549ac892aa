/**
 * The build file's schema in an editor: the real yaml-language-server (the server of the VS
 * Code YAML extension) over stdio, on a project that installed mbuild as the README says
 * (node_modules/<package name>) and a build file that starts with the documented modeline.
 * Completion in an image offers the image keys, a hover shows the schema's own text, and a
 * wrong type and an unknown key are diagnostics.
 */
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspClient } from '../helpers/lsp-client.js';
import { REPO } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const PACKAGE = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string }).name;
const SCHEMA = JSON.parse(readFileSync(join(REPO, 'schema', 'mbuild.schema.json'), 'utf8')) as {
  $defs: { image: { properties: Record<string, { markdownDescription: string }> } };
};
const SERVER = createRequire(import.meta.url).resolve('yaml-language-server/bin/yaml-language-server');

/** The modeline as README.md and docs/build-file.md print it. */
const MODELINE = `# yaml-language-server: $schema=./node_modules/${PACKAGE}/schema/mbuild.schema.json`;

const TEXT = [
  MODELINE, // 0
  'version: 1', // 1
  'images:', // 2
  '  api:', // 3
  '    context: api', // 4
  '    pull: "yes"', // 5
  '    dockerfiel: Dockerfile', // 6
  '  web:', // 7
  '    ', // 8
  '',
].join('\n');

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
/** The README's VS Code setting (its `"yaml.schemas": {...}` block): build files without a modeline get the schema by name. */
const VSCODE_SCHEMAS = (JSON.parse(`{${/^"yaml\.schemas": \{\n[^]*?\n\}$/m.exec(README)?.[0] ?? ''}}`) as { 'yaml.schemas': Record<string, string[]> })[
  'yaml.schemas'
];
const PLAIN = 'version: 1\nimages:\n  app: {}\nunknown_top: 1\n';

interface Diagnostic {
  readonly range: { start: { line: number; character: number } };
  readonly message: string;
}

describe('schema/mbuild.schema.json in yaml-language-server', { timeout: 15_000 }, () => {
  let client: LspClient;
  let cleanup = () => {};
  const uri = { value: '', plain: '' };

  beforeAll(async () => {
    const t = testdir({ 'mbuild.yaml': TEXT, 'services/mbuild.yml': PLAIN }, 'mbuild-schema-editor-');
    cleanup = t.cleanup;
    // What `npm install -D <package>` leaves: the package under node_modules/<name>.
    mkdirSync(join(t.dir, 'node_modules', ...PACKAGE.split('/').slice(0, -1)), { recursive: true });
    symlinkSync(REPO, join(t.dir, 'node_modules', PACKAGE));
    uri.value = pathToFileURL(join(t.dir, 'mbuild.yaml')).href;
    uri.plain = pathToFileURL(join(t.dir, 'services', 'mbuild.yml')).href;
    // The server asks for its settings (workspace/configuration): the yaml section is these.
    // No schema store: the only schemas are the modeline's file and the setting's (and nothing leaves the machine).
    const yaml = { validate: true, hover: true, completion: true, schemas: VSCODE_SCHEMAS, schemaStore: { enable: false }, format: { enable: false } };
    client = new LspClient(process.execPath, [SERVER, '--stdio'], t.dir, {
      'workspace/configuration': (params) => (params as { items: { section: string }[] }).items.map((i) => (i.section === 'yaml' ? yaml : {})),
    });
    await client.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(t.dir).href,
      capabilities: {
        textDocument: {
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: {},
        },
      },
    });
    client.notify('initialized', {});
    client.notify('workspace/didChangeConfiguration', { settings: {} });
    client.notify('textDocument/didOpen', { textDocument: { uri: uri.value, languageId: 'yaml', version: 1, text: TEXT } });
    client.notify('textDocument/didOpen', { textDocument: { uri: uri.plain, languageId: 'yaml', version: 1, text: PLAIN } });
  }, 20_000);

  afterAll(async () => {
    await client.stop();
    cleanup();
  });

  it('is the modeline and the setting the README and docs/build-file.md show', () => {
    expect(README).toContain(`\n${MODELINE}\n`);
    expect(readFileSync(join(REPO, 'docs', 'build-file.md'), 'utf8')).toContain(`\n${MODELINE}\n`);
    expect(VSCODE_SCHEMAS).toEqual({ [`./node_modules/${PACKAGE}/schema/mbuild.schema.json`]: ['mbuild.yaml', 'mbuild.yml'] });
  });

  it('reports a wrong type and an unknown key at their lines', async () => {
    const published = await client.notification<{ uri: string; diagnostics: Diagnostic[] }>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri.value && p.diagnostics.length > 0,
    );
    const at = published.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`);
    expect(at).toContainEqual(expect.stringMatching(/^5:\d+ Incorrect type\. Expected "boolean"/));
    expect(at).toContainEqual(expect.stringMatching(/^6:4 Property dockerfiel is not allowed/));
    // `web:` with no keys yet (where completion is asked below) is no image either.
    expect(at).toContainEqual(expect.stringMatching(/^7:6 Incorrect type\. Expected "Image"/));
    expect(at).toHaveLength(3);
  });

  it('checks a build file without a modeline through the yaml.schemas setting', async () => {
    const published = await client.notification<{ uri: string; diagnostics: Diagnostic[] }>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri.plain && p.diagnostics.length > 0,
    );
    expect(published.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`)).toEqual([
      '3:0 Property unknown_top is not allowed.',
    ]);
  });

  it('completes the image keys inside images.<name>', async () => {
    const result = await client.request<{ items: { label: string }[] } | { label: string }[]>('textDocument/completion', {
      textDocument: { uri: uri.value },
      position: { line: 8, character: 4 },
    });
    const labels = (Array.isArray(result) ? result : result.items).map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['context', 'dockerfile', 'dockerfile_inline', 'args', 'tags', 'target', 'mounts', 'outputs', 'secrets']));
    expect(labels).not.toContain('images');
  });

  it("shows the schema's description of a key on hover", async () => {
    const hover = await client.request<{ contents: { kind: string; value: string } }>('textDocument/hover', {
      textDocument: { uri: uri.value },
      position: { line: 4, character: 6 },
    });
    expect(hover.contents.kind).toBe('markdown');
    const context = SCHEMA.$defs.image.properties['context']!;
    expect(context.markdownDescription.length).toBeGreaterThan(40);
    expect(hover.contents.value).toContain(context.markdownDescription.split('\n')[0]);
  });
});
