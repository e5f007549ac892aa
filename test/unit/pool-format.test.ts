/** The pool's sections of `plan` and the colours of `graph` (report/pool-format.ts, plan-format.ts). */
import { describe, expect, it } from 'vitest';
import type { BuildPlan } from '../../src/plan/types.js';
import { predictPlacement } from '../../src/pool/predict.js';
import { graphDot, graphJson, graphMermaid } from '../../src/report/plan-format.js';
import { graphColours, poolText, type PoolView } from '../../src/report/pool-format.js';

const image = (name: string, remainingPath: number, from?: string): BuildPlan['images'][number] => ({
  name,
  tags: [],
  dependsOn: from === undefined ? [] : [{ image: from, kind: 'from', detail: '' }],
  dependents: [],
  wave: from === undefined ? 0 : 1,
  remainingPath,
});
const plan: BuildPlan = { project: 'p', requested: [], images: [image('base', 2), image('app', 1, 'base'), image('tool', 1)], waves: [], criticalPath: [] };

const view: PoolView = {
  engines: [
    { name: 'home', url: 'unix:///h.sock', slots: 1 },
    { name: 'w', url: 'tcp://w:2375', slots: 1 },
    { name: 'gone', url: 'ssh://gone', slots: 4, unreachable: 'cannot connect' },
  ],
  placement: predictPlacement({
    plan,
    stale: new Set(['app', 'tool']),
    engines: [
      { name: 'home', slots: 1, holds: new Set(['base']) },
      { name: 'w', slots: 1, holds: new Set() },
    ],
    sizes: new Map([['base', 2048]]),
  }),
};

describe('the pool in plan and graph', () => {
  it('lists each engine, what it builds or why it is left out, and each transfer with its size', () => {
    expect(poolText(view)).toBe(
      [
        'engines (the first is home):',
        '  home  unix:///h.sock, 1 slot, home: 1 build',
        '  w     tcp://w:2375, 1 slot: 1 build',
        '  gone  ssh://gone, 4 slots: unreachable: cannot connect',
        'transfers:',
        '  tool: w -> home (size not known; built away from home)',
        '1 transfer, 0 B, 1 of a size not known yet',
        '1 round of builds, one build time each (a prediction: builds are not equally long)',
        '',
      ].join('\n'),
    );
    expect(poolText({ engines: view.engines })).toContain('(placement not predicted: the home engine did not answer)');
  });

  it('colours built nodes by engine and leaves fresh ones dashed, with a legend', () => {
    const colours = graphColours(view);
    const dot = graphDot(plan, colours);
    expect(dot).toContain('  "base" [style=dashed];\n  "app" [style=filled, fillcolor="#8dd3c7"];\n  "tool" [style=filled, fillcolor="#ffffb3"];\n');
    expect(dot).toContain(
      '    "legend 2" [label="gone", style=filled, fillcolor="#bebada"];\n    "legend fresh" [label="up to date", style=dashed];\n  }\n}\n',
    );
    expect(graphDot(plan)).not.toContain('style');
    const mermaid = graphMermaid(plan, colours);
    expect(mermaid).toContain('  class n1,e0 engine0\n');
    expect(mermaid).toContain('  class n0,efresh fresh\n');
    const json = JSON.parse(graphJson(plan, colours)) as { nodes: { name: string; engine?: string }[] };
    expect(json.nodes.map((n) => n.engine)).toEqual([undefined, 'home', 'w']);
  });
});
