#!/usr/bin/env node
// The library entry of the package (package.json `exports`), made after scripts/bundle.mjs:
// - dist/bundle/index.js: an ES module that re-exports the API from the CLI's bundle
//   (dist/bundle/main.cjs holds src/api/ too: one copy of the code serves both);
// - dist/types/: tsc's declarations (tsconfig.json `declaration`) of src/api/index.ts and of
//   only the modules its types reach, so the package ships a few files, not every module's.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const TYPES = join(DIST, 'types');
const ENTRY = join(DIST, 'api', 'index.d.ts');

/** The declaration files `entry` reaches through relative imports and re-exports, itself included. */
function declarationClosure(entry) {
  const seen = new Set([entry]);
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop();
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1].replace(/\.js$/, '.d.ts'));
      if (!seen.has(target)) {
        seen.add(target);
        stack.push(target);
      }
    }
  }
  return [...seen];
}

rmSync(TYPES, { recursive: true, force: true });
for (const file of declarationClosure(ENTRY)) {
  const to = join(TYPES, relative(DIST, file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}

// The API's names, as the bundle exports them (`main` is the CLI's).
const exported = Object.keys(createRequire(import.meta.url)(join(DIST, 'bundle', 'main.cjs'))).filter((n) => n !== 'main' && n !== '__esModule');
if (exported.length === 0) throw new Error('dist/bundle/main.cjs exports no API: scripts/bundle.mjs bundles src/api/index.ts with the CLI');
writeFileSync(
  join(DIST, 'bundle', 'index.js'),
  `// The library entry (scripts/library.mjs): the API of src/api/index.ts, from the CLI's bundle.\n` +
    `import bundle from './main.cjs';\n\nexport const { ${exported.sort().join(', ')} } = bundle;\n`,
);
writeFileSync(join(DIST, 'bundle', 'index.d.ts'), `export * from '../types/api/index.js';\n`);
