/**
 * FAST PATH, part 1: read only B's extra layers out of `docker save` and apply them.
 *
 * The save format of Engine 20.10: `<v1id>/{VERSION,json,layer.tar}` per layer, in
 * lexical order of the v1 ids, then `manifest.json` (the layer order) at the very END. So
 * the stream does not say which layer.tar is which until it is over. Two facts help:
 *  - a layer's diff ID is the sha256 of its layer.tar, so every parsed layer is identified
 *    by hashing it while parsing (tar headers + content hashes under the mount path only);
 *  - the v1 id of every layer but the top one is a pure function of the chain
 *    (v1.CreateID over `{created: 1970, empty container_config}`, see `predictV1Ids`), so
 *    the dirs of A's layers are known in advance and drained without parsing.
 * The prediction only saves work: a layer is accepted only when its hash is one of B's
 * extra diff IDs, and any extra layer not found makes the fast path unavailable (→ the
 * fallback). The stream is dropped as soon as every extra layer has been read. Engines
 * that save OCI layouts (`blobs/sha256/<diff id>`, Engine >= 25) are named by digest.
 *
 * Memory: per parsed layer, metadata of the entries below the mount path, and the digest of
 * every file of the layer (hard links may point outside the path); never content.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../docker/engine.js';
import { absOf, cleanName, counted, drain, hashBody, initOwned, isBelow, parentOf, readMember, tarEntries, type DiffStats, type Meta } from './diff-tar.js';

/** The fast path cannot decide this diff exactly: use the fallback. */
export class FastPathUnavailable extends Error {
  override name = 'FastPathUnavailable';
}

export type LayerOp =
  | { readonly op: 'whiteout'; readonly name: string }
  | { readonly op: 'opaque'; readonly name: string }
  | { readonly op: 'entry'; readonly meta: Meta }
  /**
   * A hard link to a file earlier in the same layer: `to` is its name relative to the mount
   * path, or '/' + its layer name when it is outside the mount path; `digest`/`size` its content.
   */
  | {
      readonly op: 'link';
      readonly name: string;
      readonly to: string;
      readonly digest: string;
      readonly size: number;
      readonly mode: number;
      readonly mtime?: Date;
    };

const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const EMPTY_CONFIG =
  '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}';

/** The v1 ids `docker save` (20.10) gives layers 0..n-2 of a chain (the top one embeds the image config). */
export function predictV1Ids(diffIds: readonly string[]): string[] {
  const ids: string[] = [];
  let chain = '';
  let parent = '';
  for (const [i, d] of diffIds.slice(0, -1).entries()) {
    chain = i === 0 ? d : sha(`${chain} ${d}`);
    parent = sha(`{"container_config":${EMPTY_CONFIG},"created":"1970-01-01T00:00:00Z","layer_id":"${chain}"${parent === '' ? '' : `,"parent":"${parent}"`}}`);
    ids.push(parent.slice('sha256:'.length));
  }
  return ids;
}

/** Mount path (normalized, absolute) → the prefix of its members in a layer tar ('' for '/'). */
const prefixOf = (mountPath: string): string => mountPath.slice(1);
const relOf = (name: string, prefix: string): string | undefined =>
  prefix === '' ? name : name === prefix ? '' : name.startsWith(`${prefix}/`) ? name.slice(prefix.length + 1) : undefined;

/** Parses one layer tar: the ops below the mount path, and the layer's diff ID (sha256 of all its bytes). */
export async function parseLayer(layer: AsyncIterable<Uint8Array>, mountPath: string): Promise<{ diffId: string; ops: LayerOp[] }> {
  const prefix = prefixOf(mountPath);
  const hash = createHash('sha256');
  const tapped = (async function* () {
    for await (const c of layer) {
      hash.update(c);
      yield c;
    }
  })();
  const ops: LayerOp[] = [];
  const files = new Map<string, { digest: string; size: number }>(); // every file of the layer: link targets
  for await (const { header, body } of tarEntries(tapped)) {
    const name = cleanName(header.name);
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.')) {
      await drain(body);
      const opaque = base === '.wh..wh..opq';
      const target = opaque ? parentOf(name) : `${parentOf(name) === '' ? '' : `${parentOf(name)}/`}${base.slice(4)}`;
      const rel = relOf(target, prefix);
      if (rel !== undefined) {
        if (!initOwned(absOf(mountPath, rel))) ops.push({ op: opaque ? 'opaque' : 'whiteout', name: rel });
      } else if (isBelow(prefix, target)) {
        ops.push({ op: 'whiteout', name: '' }); // the mount path itself is gone from lower layers
      }
      continue;
    }
    const rel = relOf(name, prefix);
    if (rel === undefined || initOwned(absOf(mountPath, rel))) {
      // A directory above the mount path replaced by a symlink or file: the engine would resolve it.
      if (rel === undefined && isBelow(prefix, name) && header.type !== 'directory') {
        throw new FastPathUnavailable(`a layer replaces /${name} above the mount path`);
      }
      if (header.type === 'file' || header.type === 'contiguous-file') files.set(name, await hashBody(body));
      else await drain(body);
      continue;
    }
    const m = await readMember(header, rel, body);
    if ('linkTo' in m) {
      const target = cleanName(m.linkTo);
      const content = files.get(target);
      if (content === undefined) throw new FastPathUnavailable(`hard link ${name} to ${target}, not a file before it in its layer`);
      const to = relOf(target, prefix) ?? `/${target}`;
      ops.push({ op: 'link', name: rel, to, ...content, mode: header.mode & 0o7777, mtime: header.mtime });
    } else {
      if (m.type === 'file') files.set(name, { digest: m.digest, size: m.size });
      ops.push({ op: 'entry', meta: m });
    }
  }
  await drain(tapped); // trailing padding after the end-of-archive blocks
  return { diffId: `sha256:${hash.digest('hex')}`, ops };
}

/** B's extra layers (diff ID → ops), read from one `docker save` stream of B. */
export async function readExtraLayers(
  engine: Engine,
  image: string,
  layers: readonly string[],
  baseCount: number,
  mountPath: string,
  signal: AbortSignal,
  stats: DiffStats,
): Promise<Map<string, LayerOp[]>> {
  const extras = new Set(layers.slice(baseCount));
  // A base layer equal to an extra one is saved once (later copies are symlinks): parse it.
  const baseDirs = new Set(
    predictV1Ids(layers)
      .slice(0, baseCount)
      .filter((_, i) => !extras.has(layers[i] ?? '')),
  );
  const found = new Map<string, LayerOp[]>();
  stats.requests++;
  const stream = await engine.exportImage(image, signal);
  try {
    for await (const { header, body } of tarEntries(counted(stream, stats))) {
      const v1 = /^([0-9a-f]{64})\/layer\.tar$/.exec(header.name)?.[1];
      const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(header.name)?.[1];
      const wanted =
        header.type === 'file' &&
        ((v1 !== undefined && !baseDirs.has(v1)) || (blob !== undefined && extras.has(`sha256:${blob}`) && !found.has(`sha256:${blob}`)));
      if (!wanted) {
        if (v1 !== undefined) stats.layersSkipped++;
        await drain(body);
        continue;
      }
      stats.layersParsed++;
      const { diffId, ops } = await parseLayer(body, mountPath);
      if (extras.has(diffId)) found.set(diffId, ops);
      if (found.size === extras.size) break;
    }
  } finally {
    stream.destroy();
  }
  if (found.size < extras.size) throw new FastPathUnavailable(`the export of ${image} lacks ${extras.size - found.size} of its extra layers`);
  return found;
}
