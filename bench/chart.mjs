// The bench's charts, one per family (build, no-op/edit, CI, scale): median wall time of each
// tool or variant, grouped bars on a log scale, min–max whiskers, the project size in the
// title. Plain SVG, no dependencies. `familyCharts` picks the figures out of the results;
// `renderChart` draws one chart from groups of bars.

const COLORS = {
  mbuild: '#2f6fdf',
  'mbuild (BuildKit)': '#8fb3f2',
  compose: '#e07b24',
  make: '#3a9a4a',
  bare: '#888888',
  'mbuild validate': '#6a4fc4',
  'mbuild plan': '#17a2b8',
  node: '#bbbbbb',
  docker: '#9c3d8f',
  bound: '#cccccc',
};
const PALETTE = ['#c23b3b', '#b8860b', '#5cb85c', '#1b4fa8', '#d45fa0', '#6a4fc4', '#17a2b8', '#9c3d8f', '#555555'];
/** Legend text of a series. */
const NAMES = {
  mbuild: 'mbuild up',
  'mbuild (BuildKit)': 'mbuild up --builder buildkit',
  compose: 'docker-compose build',
  make: 'make -j (docker build)',
  bare: 'bare stat walk + ping',
  node: 'node -e 0',
  docker: 'docker push / pull',
  bound: 'lower bound (no schedule is faster)',
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const label = (sec) => (sec >= 10 ? sec.toFixed(0) : sec >= 1 ? sec.toFixed(1) : sec >= 0.1 ? sec.toFixed(2) : sec.toFixed(3));

/**
 * One chart: `groups` of bars, each bar one series with its values in seconds (median drawn,
 * min–max whisker).
 * @param {{title: string, subtitle?: string, groups: {name: string, bars: {series: string, values: number[]}[]}[]}} c
 */
export function renderChart(c) {
  const groups = c.groups.filter((g) => g.bars.some((b) => b.values.length > 0));
  const series = [...new Set(groups.flatMap((g) => g.bars.filter((b) => b.values.length).map((b) => b.series)))];
  // Known series keep their colours; the others take the palette's colours no known series of this chart uses.
  const used = new Set(series.map((s) => COLORS[s]).filter(Boolean));
  const free = PALETTE.filter((c) => !used.has(c));
  const unknown = series.filter((s) => !COLORS[s]);
  const colorOf = (s) => COLORS[s] ?? free[unknown.indexOf(s) % free.length];
  const bw = 34;
  const gap = 34;
  const left = 70;
  const right = 20;
  const top = 64;
  const plotH = 300;
  const bars = groups.reduce((a, g) => a + g.bars.filter((b) => b.values.length).length, 0);
  const W = Math.max(760, left + right + bars * bw + groups.length * gap, c.title.length * 8.6 + 40);
  const legendCols = Math.max(1, Math.floor((W - left) / 250));
  const legendRows = Math.ceil(series.length / legendCols);
  const H = top + plotH + 48 + legendRows * 20 + 10;
  const bottom = top + plotH;
  const values = groups.flatMap((g) => g.bars.flatMap((b) => b.values));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...values, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 1))));
  const y = (sec) => top + plotH * (1 - (Math.log10(Math.max(sec, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  if (c.subtitle) out.push(`<text x="${W / 2}" y="42" text-anchor="middle" fill="#555">${esc(c.subtitle)}</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const yy = y(d);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end" fill="#555">${label(d)} s</text>`);
  }
  const slack = (W - left - right - bars * bw - groups.length * gap) / Math.max(1, groups.length);
  let x = left;
  for (const g of groups) {
    const shown = g.bars.filter((b) => b.values.length);
    const gw = shown.length * bw + gap + slack;
    const x0 = x + (gw - shown.length * bw) / 2;
    shown.forEach((b, i) => {
      const v = median(b.values);
      const bx = x0 + i * bw;
      const yy = y(v);
      const color = colorOf(b.series);
      out.push(
        `<rect x="${bx + 2}" y="${yy}" width="${bw - 4}" height="${bottom - yy}" fill="${color}"><title>${esc(NAMES[b.series] ?? b.series)}, ${esc(g.name)}: ${label(v)} s</title></rect>`,
      );
      const cx = bx + bw / 2;
      if (b.values.length > 1) out.push(`<line x1="${cx}" x2="${cx}" y1="${y(Math.max(...b.values))}" y2="${y(Math.min(...b.values))}" stroke="#222"/>`);
      out.push(`<text x="${cx}" y="${y(Math.max(...b.values)) - 5}" text-anchor="middle" font-size="10">${label(v)}</text>`);
    });
    const words = g.name.split(' ');
    const lines = [''];
    for (const w of words) {
      if ((lines[lines.length - 1] + ' ' + w).trim().length > Math.max(14, gw / 6.5)) lines.push(w);
      else lines[lines.length - 1] = `${lines[lines.length - 1]} ${w}`.trim();
    }
    lines.slice(0, 2).forEach((l, i) => out.push(`<text x="${x + gw / 2}" y="${bottom + 16 + i * 14}" text-anchor="middle">${esc(l)}</text>`));
    x += gw;
  }
  out.push(`<line x1="${left}" x2="${W - right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const lx = left + (i % legendCols) * 250;
    const ly = bottom + 48 + Math.floor(i / legendCols) * 20;
    out.push(`<rect x="${lx}" y="${ly - 11}" width="14" height="14" fill="${colorOf(s)}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly}">${esc(NAMES[s] ?? s)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// The four families

const sec = (rows, f = (r) => r.wallMs) => (rows ?? []).map((r) => f(r) / 1000);
const num = (n) => n.toLocaleString('en');
const kib = (b) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(0)} MiB` : `${(b / 1024).toFixed(b % 1024 ? 1 : 0)} KiB`);
const mono = (z) => `${z.images} images, ${num(z.files)} files of ${kib(z.fileBytes)} each`;

/** A scenario's bars: one per tool (`mbuild buildkit` under its legend name). */
function scenarioBars(s, tools) {
  return tools.filter((t) => s.rows[t]).map((t) => ({ series: t === 'mbuild buildkit' ? 'mbuild (BuildKit)' : t, values: sec(s.rows[t]) }));
}

/**
 * The charts of a run: `{family, title, groups}` for build, no-op/edit, CI and scale, from
 * run.mjs's results and the parts' JSON (`parts.inputs`, `parts.registry`, `parts.pool`;
 * any may be missing). A quick run says so in every title.
 */
export function familyCharts(results, parts = {}, quick = false) {
  const q = quick ? 'quick run: ' : '';
  const sc = (id) => results.scenarios.find((s) => s.id === id);
  const charts = [];
  const m = results.machine ?? {};
  const machine = `${m.cpus ?? '?'} CPUs, shared; median wall time (log scale), whiskers min–max`;

  // Build: cold, root edit, sleep DAG.
  {
    const groups = [];
    const cold = sc('cold');
    const root = sc('root');
    const s5 = sc('sleep-j5');
    const s1 = sc('sleep-j1');
    const tools = ['mbuild', 'mbuild buildkit', 'compose', 'make'];
    if (cold) groups.push({ name: 'cold build', bars: scenarioBars(cold, tools) });
    if (root) groups.push({ name: 'edit the root (all rebuild)', bars: scenarioBars(root, tools) });
    if (s5) groups.push({ name: 'sleep DAG -j 5, cold', bars: scenarioBars(s5, tools) });
    if (s1) groups.push({ name: 'sleep DAG -j 1, cold', bars: scenarioBars(s1, tools) });
    const z = (cold ?? root)?.sizes;
    const d = (s5 ?? s1)?.sizes;
    const size = [z && mono(z), d && `sleep DAG: ${d.images} images, RUN sleep ${d.sleep}`].filter(Boolean).join('; ');
    charts.push({ family: 'build', title: `${q}Build: ${size}`, subtitle: `classic builder (BuildKit row: mbuild only); ${machine}`, groups });
  }

  // No-op and edits: no-op, leaf edit, many files, precise inputs.
  {
    const groups = [];
    const tools = ['mbuild', 'compose', 'make', 'bare'];
    const noop = sc('noop');
    const leaf = sc('leaf');
    const many = sc('many');
    if (noop) groups.push({ name: 'no-op', bars: scenarioBars(noop, tools) });
    if (leaf) groups.push({ name: 'edit a leaf', bars: scenarioBars(leaf, tools) });
    if (many) groups.push({ name: `no-op, one ${num(many.sizes.files)}-file context`, bars: scenarioBars(many, tools) });
    const nl = parts.noopLimit;
    if (nl?.times) {
      groups.push({
        name: `no-op at the limit (+${num(nl.size.unread.files)} unread files)`,
        bars: [
          { series: 'mbuild', values: sec(nl.times.mbuild, (x) => x) },
          { series: 'compose', values: sec(nl.times.compose, (x) => x) },
          { series: 'bare walk of the input sets + ping', values: sec(nl.times.bare, (x) => x) },
        ],
      });
    }
    const inp = parts.inputs;
    if (inp?.noop) {
      groups.push({
        name: `no-op, precise inputs (+${num(inp.sizes.unread.files)} unread files)`,
        bars: [
          { series: 'mbuild', values: sec(inp.noop.with) },
          { series: 'mbuild, no unread files', values: sec(inp.noop.base) },
          { series: 'mbuild, inputs: whole', values: sec(inp.noop['with-whole']) },
        ],
      });
    }
    const z = (noop ?? leaf)?.sizes;
    const size = [
      z && mono(z),
      many && `one context of ${num(many.sizes.files)} files`,
      inp && `precise inputs: ${inp.sizes.mono.images} images + ${num(inp.sizes.unread.files)} unread files each`,
    ]
      .filter(Boolean)
      .join('; ');
    charts.push({ family: 'noop', title: `${q}No-op and edits: ${size}`, subtitle: `classic builder; ${machine}`, groups });
  }

  // CI: fresh runner with the shared cache, push.
  {
    const groups = [];
    const reg = parts.registry;
    const short = { a: 'mbuild', b: 'compose', c: 'make', d: 'mbuild --cache-from', e: 'mbuild --cache-from --push', f: 'docker pull (for scale)' };
    if (reg?.scenario1) {
      groups.push({
        name: 'fresh CI runner, shared cache warm',
        bars: reg.scenario1.tools.map((t) => ({ series: short[t.id] ?? t.label, values: sec(reg.scenario1.rows[t.id]) })),
      });
    }
    if (reg?.scenario2) {
      groups.push({
        name: `push of ${reg.sizes.images} images, 4 at a time`,
        bars: [
          { series: 'mbuild push', values: sec(reg.scenario2.rows.mbuild) },
          { series: 'docker', values: sec(reg.scenario2.rows.docker) },
        ],
      });
    }
    const z = reg?.sizes;
    const size = z ? `${z.images} images (${z.depth} levels x ${z.roots}), RUN sleep ${z.sleep} + ${kib(z.randomBytes)} random each` : 'not measured';
    charts.push({
      family: 'ci',
      title: `${reg?.quick ? 'quick run: ' : q}CI: ${size}`,
      subtitle: `a new empty dockerd per run, registry on loopback; ${machine}`,
      groups,
    });
  }

  // Scale: planning 5k / 20k, pool scaling.
  {
    const groups = [];
    const plan = sc('plan');
    const p20 = sc('plan20k');
    if (plan) groups.push({ name: `plan / validate ${num(plan.sizes.images)} images`, bars: scenarioBars(plan, ['mbuild plan', 'mbuild validate', 'node']) });
    if (p20) groups.push({ name: `validate ${num(p20.sizes.images)} images`, bars: scenarioBars(p20, ['mbuild validate', 'node']) });
    const pool = parts.pool;
    for (const [n, rows] of Object.entries(pool?.scaling ?? {})) {
      groups.push({
        name: `pool: ${n} engine${n === '1' ? '' : 's'}`,
        bars: [
          { series: 'mbuild', values: sec(rows) },
          { series: 'bound', values: sec(rows, (r) => r.boundMs) },
        ],
      });
    }
    const size = [
      plan && `planning ${num(plan.sizes.images)}${p20 ? ` and ${num(p20.sizes.images)}` : ''} images`,
      pool && `pool: 24 images (8 chains x 3, RUN sleep ${pool.sleep}) on 1-3 engines`,
    ]
      .filter(Boolean)
      .join('; ');
    charts.push({ family: 'scale', title: `${q}Scale: ${size || 'not measured'}`, subtitle: machine, groups });
  }
  return charts.map((c) => ({ ...c, svg: renderChart(c) }));
}
