#!/usr/bin/env node
// The bundle (scripts/bundle.mjs) of what tsc compiled to dist/; `npm run build` makes both.
import { main } from '../dist/bundle/main.js';

process.exitCode = await main(process.argv.slice(2));
