// ESLint for mbuild (issue 15): typescript-eslint's strictTypeChecked on the TypeScript
// (src/, test/, vitest.config.ts; one program from tsconfig.test.json, which includes them all),
// and @eslint/js's recommended rules on the plain JavaScript (bin/, bench/, scripts/).
// Formatting is prettier's job (.prettierrc.json), not ESLint's. `npm run lint` runs both.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The Node globals the JavaScript files use (the `globals` package is not a dependency). */
const NODE_GLOBALS = Object.fromEntries(
  [
    'AbortController AbortSignal Buffer URL URLSearchParams TextDecoder TextEncoder console fetch performance process structuredClone',
    'clearImmediate clearInterval clearTimeout queueMicrotask setImmediate setInterval setTimeout',
  ]
    .join(' ')
    .split(' ')
    .map((name) => [name, 'readonly']),
);
const COMMONJS_GLOBALS = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/', 'test/fixtures/', 'src/config/schema-validator.generated.ts'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    // A few bug-catching rules beyond the presets (none needs type information).
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-self-compare': 'error',
      // `for await (const x of it) { ...; return; }` is how this code takes the first item of a stream and then closes it.
      'no-unreachable-loop': ['error', { ignore: ['ForOfStatement'] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, ...COMMONJS_GLOBALS } },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // With noUncheckedIndexedAccess, `xs[i]!` and `map.get(k)!` (after a has() or a build of the map) are how this code
      // states an invariant the type system cannot see (~320 places); the rule has no option to tell those apart.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // The code has no enums (string unions instead); the rule still inspects every assignment, ~10% of a lint run.
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      // `() => resolve()` shorthands and `return reject(e)` inside void callbacks are this code's idiom; a void value
      // used as a value (in an expression, an argument, a non-void return) stays an error.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // An `async` function with no `await` keeps a promise-returning API (a fake Engine method, readSource, planContext)
      // whose throws arrive as rejections; the rule's fix, dropping `async`, would make them synchronous throws.
      // A forgotten `await` is what no-floating-promises and await-thenable catch.
      '@typescript-eslint/require-await': 'off',
      // `reject(signal.reason)` passes an abort reason on unchanged (typed `any`: whatever the caller aborted with);
      // rejecting with a string or another non-Error stays an error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A number prints as it should in a message (`${n} files`); everything else stays as strict as the preset
      // (options given here replace the preset's, and the rule's own defaults are loose: hence all of them).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowNumber: true, allowRegExp: false },
      ],
      // `for await (const _ of body) {}` drains a stream; `const { file, ...rest } = o` drops a key.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A `switch` over a union names every member, a `default` not counting (docs/architecture.md: each ends in
      // `default: unreachable(x)`): a new event or failure kind is then a finding, not a silent fall into `default`.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Part of strictTypeChecked, named here because they are the point: a promise nobody awaits, or one passed
      // where its result is ignored (an event handler, forEach), loses its rejection.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
