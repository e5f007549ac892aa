// The separately written bench scripts that `npm run bench` (bench/run.mjs) runs as parts:
// how each is run, where its JSON is saved (so docs/benchmarks.md can be rendered again from
// it without rerunning), its section's figures and its rows of the Targets table.
//
//   inputs     bench/inputs.mjs --json FILE     precise inputs (issue 16)
//   registry   bench/registry.mjs               fresh CI runner and push of 30 (issue 17; writes its own JSON)
//   session    bench/session.mjs                BuildKit session overhead (issue 18; text only: parsed here)
//   pool       bench/pool.mjs                   engine pool scaling and move cost (issue 21; writes its own JSON)
//   noopLimit  bench/noop-limit.mjs --json FILE no-op at the limit (issue 22 item 3; written separately: may be absent)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const fmtR = (x, d = 2) => `${x.median.toFixed(d)} (paired min ${x.min.toFixed(d)}, max ${x.max.toFixed(d)})`;
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const MiB = 1024 * 1024;
const fmtBytes = (b) => (b === 0 ? '0' : b < MiB ? `${(b / 1024).toFixed(1)} KiB` : `${(b / MiB).toFixed(2)} MiB`);
const day = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : 'date unknown');

/**
 * @typedef {{script: string, args: (quick: boolean) => string[], file: (quick: boolean) => string,
 *            jsonArg?: boolean, fromText?: (text: string) => object, byHand?: string}} Part
 * @type {Record<string, Part>}
 */
export const PARTS = {
  inputs: {
    script: 'inputs.mjs',
    args: (q) => (q ? ['--quick'] : []),
    file: (q) => `inputs${q ? '-quick' : ''}.json`,
    jsonArg: true,
    byHand: 'a run by hand on 2026-12-02 is described in its section',
  },
  registry: { script: 'registry.mjs', args: (q) => (q ? ['--quick'] : []), file: (q) => `registry${q ? '-quick' : ''}.json` },
  session: {
    script: 'session.mjs',
    args: (q) => ['--runs', q ? '1' : '7'],
    file: (q) => `session${q ? '-quick' : ''}.json`,
    fromText: sessionFromText,
    byHand: 'a run by hand on 2026-12-03 is described in its section',
  },
  pool: { script: 'pool.mjs', args: (q) => (q ? ['--quick'] : []), file: (q) => `pool${q ? '-quick' : ''}.json` },
  noopLimit: {
    script: 'noop-limit.mjs',
    args: (q) => (q ? ['--quick'] : []),
    file: (q) => `noop-limit${q ? '-quick' : ''}.json`,
    jsonArg: true,
  },
};

/** The command line of a part, as the docs show it. */
export const partCommand = (id, quick) => `node bench/${PARTS[id].script}${PARTS[id].args(quick).length ? ` ${PARTS[id].args(quick).join(' ')}` : ''}`;

/**
 * Runs part `id` (its script in `repo`, through `exec`) and saves its JSON under `resultsDir`.
 * Resolves to `{ok, note}`: a script that is absent, fails or writes nothing leaves the last saved JSON as it was.
 */
export async function runPart(id, { repo, resultsDir, quick, exec, log }) {
  const part = PARTS[id];
  const script = join(repo, 'bench', part.script);
  if (!existsSync(script)) return { ok: false, note: `bench/${part.script} is not in this checkout` };
  const file = join(resultsDir, part.file(quick));
  const args = [script, ...part.args(quick), ...(part.jsonArg ? ['--json', file] : [])];
  log(`part ${id}: ${partCommand(id, quick)}`);
  const started = new Date().toISOString();
  const r = await exec(process.execPath, args, { cwd: repo, allowFail: true });
  if (r.code !== 0) {
    const why = `${partCommand(id, quick)} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`;
    log(`part ${id}: ${why}`);
    return { ok: false, note: why };
  }
  if (part.fromText) writeFileSync(file, `${JSON.stringify({ date: started, quick, ...part.fromText(r.stdout), text: r.stdout.trim() }, null, 1)}\n`);
  if (!existsSync(file)) return { ok: false, note: `${partCommand(id, quick)} wrote no ${part.file(quick)}` };
  // A script that writes its figures only: when it ran and what it printed are kept beside them.
  const j = loadPart(id, resultsDir, quick);
  if (j && (!j.date || !j.text)) writeFileSync(file, `${JSON.stringify({ date: started, ...j, text: j.text ?? r.stdout.trim() }, null, 1)}\n`);
  return { ok: true };
}

/** The saved JSON of part `id`, or undefined. */
export function loadPart(id, resultsDir, quick) {
  const file = join(resultsDir, PARTS[id].file(quick));
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const dateOf = (j) => j?.date ?? j?.machine?.date;

// ---------------------------------------------------------------------------------------
// session.mjs prints text: its figures, read back

function sessionFromText(text) {
  const triple = (re) => {
    const m = re.exec(text);
    return m ? { median: Number(m[1]), min: Number(m[2]), max: Number(m[3]) } : undefined;
  };
  const n = '(-?[0-9.]+) ms \\(min (-?[0-9.]+) ms, max (-?[0-9.]+) ms\\)';
  return {
    pairs: Number(/, (\d+) pairs after/.exec(text)?.[1] ?? NaN),
    images: Number(/sleep DAG of (\d+) images/.exec(text)?.[1] ?? NaN),
    withSession: triple(new RegExp(`wall with a session:\\s+${n}`)),
    withoutSession: triple(new RegExp(`wall without a session:\\s+${n}`)),
    added: triple(new RegExp(`added per run \\(median of paired differences\\): ${n}`)),
    tinyPairs: Number(/one image \(RUN true\), (\d+) pairs/.exec(text)?.[1] ?? NaN),
    addedTiny: triple(new RegExp(`one image \\(RUN true\\), \\d+ pairs: added per run ${n}`)),
  };
}

// ---------------------------------------------------------------------------------------
// Targets: {issue, what, measured, goal, met (true, false, or null: not measured), command}

const row = (issue, what, goal, command, measured, met) => ({
  issue,
  what,
  goal,
  command,
  measured: measured ?? 'not measured',
  met: measured === undefined ? null : met,
});

/** The Targets rows of the parts. */
export function partTargets(p, quick) {
  const T = [];
  const cmd = (id) =>
    `\`${partCommand(id, quick)}\`${p[id] ? (dateOf(p[id]) ? ` (${day(dateOf(p[id]))})` : '') : PARTS[id].byHand && !quick ? ` (no saved figures: ${PARTS[id].byHand})` : ''}`;

  // Issue 16: precise inputs.
  const inp = p.inputs;
  {
    const c = cmd('inputs');
    let bytes, noop, edit, cost, e2e, trees;
    if (inp?.cold) {
      const mb = inp.cold.find((x) => x.label === 'mbuild');
      const n = inp.sizes.mono.images;
      const ratio = mb.bytes / inp.sets.tar;
      const of = (label) => inp.cold.find((x) => x.label === label)?.bytes;
      bytes = [
        `${ratio.toFixed(3)} (${fmtBytes(mb.bytes)} / ${fmtBytes(inp.sets.tar)} as a tar; docker-compose sent ${fmtBytes(of('docker-compose build'))}, make -j ${fmtBytes(of('make -j'))})`,
        mb.bytes <= inp.sets.tar + n * inp.injected,
      ];
      const pr = (rows, a, b) => stats(rows[a].map((r, i) => r.wallMs / rows[b][i].wallMs));
      const near1 = (x) => x.median <= 1.1;
      const nw = pr(inp.noop, 'with', 'base');
      const ew = pr(inp.edit, 'with', 'base');
      noop = [fmtR(nw, 3), near1(nw)];
      edit = [fmtR(ew, 3), near1(ew)];
      const k = inp.cost;
      const costMs = Math.max(k.first.reads + k.first.select, k.steady.reads + k.steady.select);
      cost = [`${costMs.toFixed(3)} ms (worse of first pass and steady)`, costMs <= 5];
      const e = stats(inp.noop.base.map((r, i) => (r.wallMs - inp.noop['base-whole'][i].wallMs) / n));
      e2e = [`${e.median.toFixed(2)} ms (paired min ${e.min.toFixed(2)}, max ${e.max.toFixed(2)})`, e.median <= 5];
      trees = [inp.digests.map((d) => `${d.what}: ${d.same}/${d.images}`).join('; '), inp.digests.every((d) => d.same === d.images)];
    }
    T.push(row(16, 'cold build: context bytes mbuild sends / the input sets as a tar', "<= 1 plus mbuild's 2 injected entries per image", c, ...(bytes ?? [])));
    T.push(
      row(
        16,
        `no-op wall with ${(inp?.sizes.unread.files ?? 2000).toLocaleString('en')} unread files per context / without`,
        '≈ 1 (paired median <= 1.10)',
        c,
        ...(noop ?? []),
      ),
    );
    T.push(row(16, 'one-edit wall with unread files / without', '≈ 1 (paired median <= 1.10)', c, ...(edit ?? [])));
    T.push(row(16, 'input-set cost per image, in process', '<= 5 ms', c, ...(cost ?? [])));
    T.push(row(16, 'input-set cost per image, end to end (no-op, inputs: read - whole)', '<= 5 ms', c, ...(e2e ?? [])));
    T.push(row(16, 'image file systems identical across the six cold builds (fs-digest)', 'all', c, ...(trees ?? [])));
  }

  // Issues 17 and 22: registries.
  const reg = p.registry;
  {
    const c = cmd('registry');
    let speed, builds, push, pulls;
    if (reg?.scenario1) {
      const d = reg.scenario1.rows.d;
      const s = stats(reg.scenario1.rows.a.map((x, i) => x.wallMs / d[i].wallMs));
      const b = Math.max(...d.map((x) => x.builds));
      speed = [`(a)/(d) ${fmtR(s)}, ${b} /build`, s.median >= 5 && b === 0];
      builds = [`${b} in the worst round`, b === 0];
      const e = reg.scenario1.rows.e;
      if (e) {
        const most = Math.max(...e.map((x) => x.pulls));
        pulls = [`${most} pulls in the worst round`, most === 0];
      }
    }
    if (reg?.scenario2) {
      const s = stats(reg.scenario2.rows.mbuild.map((x, i) => x.wallMs / reg.scenario2.rows.docker[i].wallMs));
      push = [`mbuild / docker push ${fmtR(s)}`, s.median <= 1.2];
    }
    const n = reg?.sizes?.images ?? 30;
    for (const issue of [17, 22]) {
      T.push(row(issue, `fresh CI runner, shared cache warm (${n} images): mbuild --cache-from vs cold mbuild`, '>= 5x faster, 0 /build', c, ...(speed ?? [])));
      if (issue === 17) {
        T.push(row(17, 'fresh CI runner: POST /build calls of mbuild --cache-from', '0', c, ...(builds ?? [])));
        T.push(row(17, 'fresh CI runner: mbuild --cache-from --push pulls nothing (tags copied in the registry)', '0 pulls', c, ...(pulls ?? [])));
      }
      T.push(row(issue, `push of ${n} images, 4 at a time`, 'within 1.2x of docker push', c, ...(push ?? [])));
    }
  }

  // Issue 18: session.
  const ses = p.session;
  {
    const c = cmd('session');
    const a = ses?.added;
    T.push(
      row(
        18,
        `BuildKit session: added wall time per run, sleep DAG of ${ses?.images || 20} images`,
        '<= 30 ms',
        c,
        ...(a ? [`${a.median} ms (pairs from ${a.min} to ${a.max} ms)`, a.median <= 30] : []),
      ),
    );
    const t = ses?.addedTiny;
    T.push(
      row(
        18,
        'BuildKit session: added wall time per run, one image (RUN true)',
        '<= 30 ms',
        c,
        ...(t ? [`${t.median} ms (pairs from ${t.min} to ${t.max} ms)`, t.median <= 30] : []),
      ),
    );
  }

  // Issues 21 and 22: pool scaling.
  const pool = p.pool;
  {
    const c = cmd('pool');
    for (const n of ['1', '2', '3']) {
      const rows = pool?.scaling?.[n];
      let fig;
      if (rows?.length) {
        const r = stats(rows.map((x) => x.wallMs / x.boundMs));
        const one = pool.scaling['1'];
        const sp = n === '1' ? undefined : stats(rows.map((x) => one.find((o) => o.round === x.round).wallMs / x.wallMs));
        fig = [`${fmtR(r, 3).replace('paired ', '')}${sp ? `; speedup ${sp.median.toFixed(2)}x` : ''}`, r.median <= 1.2];
      }
      for (const issue of [21, 22])
        T.push(row(issue, `engine pool: sleep DAG 8 x 3 on ${n} engine${n === '1' ? '' : 's'} (1 slot each), wall / bound`, '<= 1.2', c, ...(fig ?? [])));
    }
  }

  // Issue 22 item 3: no-op at the limit.
  const nl = p.noopLimit;
  {
    const c = cmd('noopLimit');
    const bare = ratios(nl?.vsBare);
    const compose = ratios(nl?.vsCompose);
    T.push(row(22, 'no-op (precise inputs) vs a bare stat walk of the input sets + one ping', '<= 1.2x', c, ...(bare ? [fmtR(bare), bare.median <= 1.2] : [])));
    T.push(
      row(
        22,
        `no-op vs docker-compose build, ${nl?.size?.images ?? 30}-image monorepo (bench/noop-limit.mjs)`,
        '>= 25x faster',
        c,
        ...(compose ? [fmtR(compose, 1), compose.median >= 25] : []),
      ),
    );
  }
  return T;
}

/** Paired ratios (bench/noop-limit.mjs's `vsBare`: mbuild / bare, `vsCompose`: compose / mbuild), or undefined. */
const ratios = (xs) => (Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'number') ? stats(xs) : undefined);

// ---------------------------------------------------------------------------------------
// Sections: the figures of each part, generated from its JSON

/** Lines of markdown for part `id`'s generated figures (or a line saying how to get them). */
export function partSection(id, j, quick) {
  const L = [];
  const command = partCommand(id, quick);
  if (!j) {
    L.push(`Not measured by the bench yet: \`node bench/run.mjs --refresh ${id}${quick ? ' --quick' : ''}\` runs \`${command}\` and saves its figures.`, '');
    return L;
  }
  L.push(`Generated from \`bench/results/${PARTS[id].file(quick)}\` (\`${command}\`, ${day(dateOf(j))}${j.quick ? ', quick' : ''}).`, '');
  const tr = (...cells) => L.push(`| ${cells.join(' | ')} |`);
  if (id === 'inputs' && j.cold) {
    tr('cold build', 'context sent', '/build calls', 'wall');
    tr('---', '---', '---', '---');
    for (const c of j.cold) tr(c.label, fmtBytes(c.bytes), c.builds, fmtS(c.wallMs));
    tr('input sets as a tar', fmtBytes(j.sets.tar), '', '');
    L.push('');
    const pr = (rows, a, b) => fmtR(stats(rows[a].map((r, i) => r.wallMs / rows[b][i].wallMs)), 3);
    L.push(
      `No-op wall, paired by round: with / base ${pr(j.noop, 'with', 'base')}; with-whole / with ${pr(j.noop, 'with-whole', 'with')}. ` +
        `One edit: with / base ${pr(j.edit, 'with', 'base')}. File systems (fs-digest): ${j.digests.map((d) => `${d.what} ${d.same}/${d.images} across ${d.builds.length} builds`).join('; ')}.`,
      '',
    );
  } else if (id === 'registry' && j.scenario1) {
    const d = j.scenario1.rows.d;
    tr('run', 'wall (median, min-max)', 'POST /build', 'pulls', 'wall / (d), paired');
    tr('---', '---', '---', '---', '---');
    for (const t of j.scenario1.tools) {
      const rs = j.scenario1.rows[t.id];
      const w = stats(rs.map((x) => x.wallMs));
      const r = stats(rs.map((x, i) => x.wallMs / d[i].wallMs));
      tr(
        t.label,
        `${fmtS(w.median)} (${fmtS(w.min)}-${fmtS(w.max)})`,
        median(rs.map((x) => x.builds)),
        median(rs.map((x) => x.pulls)),
        t.id === 'd' ? '1' : fmtR(r),
      );
    }
    L.push('');
    const s2 = j.scenario2;
    if (s2) {
      const w = (side) => stats(s2.rows[side].map((x) => x.wallMs));
      const r = stats(s2.rows.mbuild.map((x, i) => x.wallMs / s2.rows.docker[i].wallMs));
      L.push(
        `Push of ${j.sizes.images} images: mbuild ${fmtS(w('mbuild').median)}, docker push ${fmtS(w('docker').median)}; mbuild / docker ${fmtR(r)}.`,
        'Tree equality: this part builds on throw-away engines, so it checks results instead (every image built or taken from the cache, every tag present; a wrong one fails it), not fs-digest.',
        '',
      );
    }
  } else if (id === 'session' && j.added) {
    L.push(
      `With a session ${j.withSession.median} ms (min ${j.withSession.min}, max ${j.withSession.max}); without ${j.withoutSession.median} ms (min ${j.withoutSession.min}, max ${j.withoutSession.max}); ` +
        `added per run, median of ${j.pairs} paired differences: ${j.added.median} ms (min ${j.added.min}, max ${j.added.max}); one image, ${j.tinyPairs} pairs: ${j.addedTiny?.median} ms (min ${j.addedTiny?.min}, max ${j.addedTiny?.max}).`,
      'One tool (mbuild, BuildKit, with and without a session), so there is no tree to compare.',
      '',
    );
  } else if (id === 'pool' && j.scaling) {
    tr('engines', 'wall (median, min-max)', 'bound', 'wall / bound', 'speedup vs 1 engine, paired');
    tr('---', '---', '---', '---', '---');
    const one = j.scaling['1'] ?? [];
    for (const [n, rows] of Object.entries(j.scaling)) {
      const w = stats(rows.map((x) => x.wallMs));
      const r = stats(rows.map((x) => x.wallMs / x.boundMs));
      const sp = n === '1' ? undefined : stats(rows.map((x) => (one.find((o) => o.round === x.round)?.wallMs ?? NaN) / x.wallMs));
      tr(
        n,
        `${fmtS(w.median)} (${fmtS(w.min)}-${fmtS(w.max)})`,
        fmtS(median(rows.map((x) => x.boundMs))),
        fmtR(r, 3).replace('paired ', ''),
        sp ? fmtR(sp) : '1',
      );
    }
    L.push(
      '',
      'Tree equality: each run is checked (every image built, every tag on home); file trees across engines are compared by test/engine/pool.test.ts.',
      '',
    );
  }
  if (j.text && (id === 'session' || id === 'noopLimit' || (id === 'inputs' && !j.cold))) L.push('```', `$ ${command}`, j.text.trim(), '```', '');
  if (j.failures?.length) L.push(`**Failures:** ${j.failures.join('; ')}`, '');
  return L;
}
