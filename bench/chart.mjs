// The bench's one chart: median wall time of each tool on the monorepo's cold, no-op and
// one-edit scenarios, grouped bars on a log scale, min–max whiskers. Plain SVG, no dependencies.

const SCENARIOS = [
  ['cold', 'cold build'],
  ['noop', 'no-op'],
  ['leaf', 'edit a leaf'],
  ['root', 'edit the root'],
];
const TOOLS = [
  ['mbuild', '#2f6fdf'],
  ['compose', '#e07b24'],
  ['make', '#3a9a4a'],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const label = (sec) => (sec >= 10 ? sec.toFixed(0) : sec >= 1 ? sec.toFixed(1) : sec >= 0.1 ? sec.toFixed(2) : sec.toFixed(3));

/** @param {{scenarios: {id: string, rows: Record<string, {wallMs: number}[]>}[], machine: Record<string, any>}} results */
export function renderChart(results) {
  const groups = SCENARIOS.map(([id, name]) => ({ id, name, s: results.scenarios.find((x) => x.id === id) })).filter((g) => g.s);
  const W = 760;
  const H = 420;
  const left = 70;
  const right = 20;
  const top = 60;
  const bottom = 70;
  const values = [];
  for (const g of groups) for (const [t] of TOOLS) for (const r of g.s.rows[t] ?? []) values.push(r.wallMs / 1000);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...values, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 1))));
  const y = (sec) => top + (H - top - bottom) * (1 - (Math.log10(Math.max(sec, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const m = results.machine ?? {};
  out.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">mbuild vs docker-compose build vs make -j (classic builder)</text>`,
  );
  out.push(
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">median wall time (log scale), whiskers min–max; ${esc(m.cpus ?? '?')} CPUs, ${esc(String(m.engine ?? '').split(' (')[0])}</text>`,
  );
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const yy = y(d);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end" fill="#555">${label(d)} s</text>`);
  }
  const gw = (W - left - right) / Math.max(1, groups.length);
  const bw = Math.min(44, (gw - 30) / TOOLS.length);
  groups.forEach((g, gi) => {
    const x0 = left + gi * gw + (gw - bw * TOOLS.length) / 2;
    TOOLS.forEach(([t, color], ti) => {
      const rows = g.s.rows[t];
      if (!rows?.length) return;
      const xs = rows.map((r) => r.wallMs / 1000);
      const v = median(xs);
      const x = x0 + ti * bw;
      const yy = y(v);
      out.push(
        `<rect x="${x + 2}" y="${yy}" width="${bw - 4}" height="${H - bottom - yy}" fill="${color}"><title>${esc(t)} ${esc(g.name)}: ${label(v)} s</title></rect>`,
      );
      const cx = x + bw / 2;
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(Math.max(...xs))}" y2="${y(Math.min(...xs))}" stroke="#222"/>`);
      out.push(`<text x="${cx}" y="${yy - 5}" text-anchor="middle" font-size="10">${label(v)}</text>`);
    });
    out.push(`<text x="${left + gi * gw + gw / 2}" y="${H - bottom + 18}" text-anchor="middle">${esc(g.name)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>`);
  TOOLS.forEach(([t, color], i) => {
    const x = left + 10 + i * 210;
    out.push(`<rect x="${x}" y="${H - 28}" width="14" height="14" fill="${color}"/>`);
    out.push(`<text x="${x + 20}" y="${H - 16}">${t === 'compose' ? 'docker-compose build' : t === 'make' ? 'make -j (docker build)' : 'mbuild up'}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
