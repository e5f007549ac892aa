/**
 * The import rules of docs/architecture.md, enforced: each row of its module table names a
 * folder of src/ and the folders it may import (`everything`, `nothing`, or a list where
 * "`name` types" admits type-only imports). Every import between two folders of src/ that
 * the table does not admit fails this test, and so does a folder the table does not name.
 * Imports are read with the TypeScript compiler's parser: `import type`, `export type`,
 * imports whose every name is a type, and `import('…').Type` count as type-only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/run-cli.js';

const SRC = join(REPO, 'src');

interface Allowed {
  readonly everything: boolean;
  /** Folder -> whether only type imports of it are admitted. */
  readonly folders: ReadonlyMap<string, boolean>;
}

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** The rows of the `| module | owns | imports |` table: folder -> what it may import. */
function moduleTable(markdown: string): Map<string, Allowed> {
  const lines = markdown.split('\n');
  const head = lines.findIndex((l) => /^\|\s*module\s*\|\s*owns\s*\|\s*imports\s*\|/.test(l));
  if (head === -1) throw new Error('docs/architecture.md has no "| module | owns | imports |" table');
  const table = new Map<string, Allowed>();
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1);
    const folder = /^`([\w-]+)\/`$/.exec(cells[0]!.trim())?.[1];
    if (folder === undefined) throw new Error(`a row of the module table names no folder: ${line}`);
    table.set(folder, importsCell(cells[cells.length - 1]!));
  }
  return table;
}

/** "`core`, `config` types, `cache` (manifests)": parentheses are comments; "types" admits type imports only. */
function importsCell(cell: string): Allowed {
  const text = cell.replace(/\([^)]*\)/g, '').trim();
  if (text === 'everything') return { everything: true, folders: new Map() };
  const folders = new Map<string, boolean>();
  if (text !== 'nothing') {
    for (const item of text.split(',')) {
      const m = /^\s*`([\w-]+)`(.*)$/.exec(item);
      if (m === null) throw new Error(`cannot read "${item.trim()}" in the imports column "${cell.trim()}"`);
      folders.set(m[1]!, /\btypes\b/.test(m[2]!));
    }
  }
  return { everything: false, folders };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const onlyTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean => elements.length > 0 && elements.every((e) => e.isTypeOnly);

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node))
    return node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && onlyTypes(node.exportClause.elements));
  const clause = node.importClause;
  if (clause === undefined) return false; // `import './x.js'` runs the module
  if (clause.phaseModifier === ts.SyntaxKind.TypeKeyword) return true;
  return clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && onlyTypes(clause.namedBindings.elements);
}

/** Every relative import of a module's text (static, `import()`, `import('…').T`), as module specifiers. */
function importsIn(text: string): { spec: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, true);
  const out: { spec: string; typeOnly: boolean }[] = [];
  const stack: ts.Node[] = [source];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ spec: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push({ spec: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ spec: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, (child) => {
      stack.push(child);
    });
  }
  return out.filter((i) => i.spec.startsWith('.'));
}

/** The folder of src/ that `path` lies in (`cli`), or undefined outside src/ or at its top. */
function folderOf(path: string): string | undefined {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
}

/** Imports from one folder of src/ to another. */
function crossImports(): Import[] {
  const out: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const { spec, typeOnly } of importsIn(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a !== undefined && b !== undefined && a !== b) out.push({ from: relative(REPO, file), to: relative(REPO, target).replace(/\.js$/, '.ts'), typeOnly });
    }
  }
  return out;
}

/** What the table does not admit, one line each. */
function violations(table: ReadonlyMap<string, Allowed>, imports: readonly Import[], folders: readonly string[]): string[] {
  const out = folders.filter((f) => !table.has(f)).map((f) => `src/${f}/ has no row in the module table`);
  for (const f of table.keys()) if (!folders.includes(f)) out.push(`the module table names ${f}/, which is no folder of src/`);
  for (const allowed of table.values())
    for (const f of allowed.folders.keys()) if (!folders.includes(f)) out.push(`the module table admits imports of ${f}/, which is no folder of src/`);
  for (const i of imports) {
    const [from, to] = [i.from.split('/')[1]!, i.to.split('/')[1]!];
    const allowed = table.get(from);
    if (allowed === undefined || allowed.everything) continue;
    const typesOnly = allowed.folders.get(to);
    if (typesOnly === undefined) out.push(`${i.from} imports ${i.to}: ${from}/ may not import ${to}/`);
    else if (typesOnly && !i.typeOnly) out.push(`${i.from} imports ${i.to}: ${from}/ may import only types of ${to}/`);
  }
  return out;
}

const srcFolders = (): string[] =>
  readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

describe('architecture', () => {
  it('every import between the folders of src/ is one the module table of docs/architecture.md admits', () => {
    const table = moduleTable(readFileSync(join(REPO, 'docs/architecture.md'), 'utf8'));
    expect(violations(table, crossImports(), srcFolders())).toEqual([]);
  });

  it('the check fails on an import the table does not admit, and on a value import where it admits types', () => {
    const table = moduleTable(
      [
        '| module | owns | imports |',
        '|---|---|---|',
        '| `core/` | basics | nothing |',
        '| `report/` | rendering | `core`, `plan` types (the plan) |',
        '| `plan/` | the graph | `core` |',
        '| `cli/` | the edge | everything |',
      ].join('\n'),
    );
    const imports: Import[] = [
      { from: 'src/report/a.ts', to: 'src/plan/types.ts', typeOnly: true },
      { from: 'src/report/a.ts', to: 'src/plan/plan.ts', typeOnly: false },
      { from: 'src/report/a.ts', to: 'src/watch/events.ts', typeOnly: true },
      { from: 'src/cli/main.ts', to: 'src/watch/watcher.ts', typeOnly: false },
      { from: 'src/core/x.ts', to: 'src/plan/plan.ts', typeOnly: true },
    ];
    expect(violations(table, imports, ['cli', 'core', 'plan', 'report', 'watch'])).toEqual([
      'src/watch/ has no row in the module table',
      'src/report/a.ts imports src/plan/plan.ts: report/ may import only types of plan/',
      'src/report/a.ts imports src/watch/events.ts: report/ may not import watch/',
      'src/core/x.ts imports src/plan/plan.ts: core/ may not import plan/',
    ]);
  });

  it('reads type-only imports as the compiler does', () => {
    const text = [
      "import type { A } from './a.js';",
      "import { type B } from './b.js';",
      "import { type C, c } from './c.js';",
      "import d from './d.js';",
      "import './e.js';",
      "export type { F } from './f.js';",
      "export { g } from './g.js';",
      "import { h } from 'node:path';",
      "const i = () => import('./i.js');",
      "type J = import('./j.js').J;",
    ].join('\n');
    expect(
      importsIn(text)
        .map((i) => `${i.typeOnly ? 'type' : 'value'} ${i.spec}`)
        .sort(),
    ).toEqual(['type ./a.js', 'type ./b.js', 'type ./f.js', 'type ./j.js', 'value ./c.js', 'value ./d.js', 'value ./e.js', 'value ./g.js', 'value ./i.js']);
  });
});
