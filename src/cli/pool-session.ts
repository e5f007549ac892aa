/**
 * What a session (`up`, or every run of `watch`) keeps for a pool of engines: each engine's
 * BuildKit sessions and image index; and per run, the pool's slots and moves
 * (pool/run.ts) with what each image's build reads on the engine, from the plan.
 */
import { ImageIndex } from '../cache/image-index.js';
import type { BuildFile } from '../config/types.js';
import type { Engine } from '../docker/engine.js';
import type { PoolBuilds } from '../execute/job.js';
import type { BuildPlan, EdgeKind } from '../plan/types.js';
import { PoolRun } from '../pool/run.js';
import type { PoolEngine } from '../pool/types.js';
import type { RunSessions } from './build-sessions.js';

/** The edges whose upstream image the engine itself reads in a build; the others (mounts, an image context) mbuild reads on the home engine. */
const READ_BY_ENGINE: ReadonlySet<EdgeKind> = new Set(['from', 'copy-from', 'mount-from', 'args', 'contexts']);

export interface PoolSession {
  /** Slots over every engine. */
  readonly slots: number;
  /** The engines' names, the home engine first. */
  readonly names: readonly string[];
  /** A run's pool (a new one per executor). */
  builds(file: BuildFile, plan: BuildPlan, tagEverywhere: boolean): PoolBuilds;
  close(): Promise<void>;
}

export function poolSession(
  engines: readonly PoolEngine[],
  homeSessions: RunSessions | undefined,
  sessionsOn: (e: Engine) => RunSessions | undefined,
): PoolSession {
  const sessions = new Map(engines.map((e) => [e.name, e.home ? homeSessions : sessionsOn(e.engine)]));
  const indexes = new Map(engines.map((e) => [e.name, new ImageIndex(e.engine)]));
  return {
    slots: engines.reduce((sum, e) => sum + e.slots, 0),
    names: engines.map((e) => e.name),
    builds: (file, plan, tagEverywhere) => {
      const byName = new Map(plan.images.map((i) => [i.name, i]));
      const runIndexes = new Map([...indexes].map(([name, index]) => [name, index.run(file.name, file.root)]));
      return {
        run: new PoolRun({ engines, tagEverywhere }),
        needs: (image) => [
          ...new Set(
            byName
              .get(image)
              ?.dependsOn.filter((e) => READ_BY_ENGINE.has(e.kind))
              .map((e) => e.image),
          ),
        ],
        priority: (image) => byName.get(image)?.remainingPath ?? 0,
        sessionsOf: (engine) => sessions.get(engine),
        indexOf: (engine) => runIndexes.get(engine),
      };
    },
    close: async () => {
      await Promise.all(engines.filter((e) => !e.home).map(async (e) => sessions.get(e.name)?.close()));
    },
  };
}
