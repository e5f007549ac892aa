import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { generate, OUT } from '../../scripts/gen-schema-validator.mjs';

describe('the ahead-of-time schema validator', () => {
  it('is generated from the current schema/mbuild.schema.json (run node scripts/gen-schema-validator.mjs)', () => {
    expect(readFileSync(OUT as string, 'utf8')).toBe((generate as () => string)());
  });
});
