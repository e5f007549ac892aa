/** The list of semantic rules, run in this order; adding a check means adding an entry. */
import { invalidCacheRepository, pushToOfficialImages } from './cache.js';
import { dependencyCycle, extendsCycle } from './cycles.js';
import { dockerfileAndInline, duplicateTag, invalidTag, reservedLabel, secretLikeArg } from './images.js';
import { mountCollision } from './mounts.js';
import { outputOverlap, outputProtected, outputThroughSymlink } from './outputs.js';
import { projectNameMissing } from './project.js';
import { contextMissing, dockerfileMissing, mountTargetInsideContext, pathOutsideRoot } from './paths.js';
import { extendsInDefaults, groupNamedLikeImage, unknownContextImage, unknownGroupMember, unknownImageReference, unknownMountSource } from './references.js';
import type { Rule } from './rule.js';
import { secretSourceMissing, sshDuplicateId, sshSourceMissing } from './sessions.js';

export const rules: readonly Rule[] = [
  projectNameMissing,
  unknownImageReference,
  unknownMountSource,
  unknownContextImage,
  unknownGroupMember,
  groupNamedLikeImage,
  extendsInDefaults,
  extendsCycle,
  dependencyCycle,
  dockerfileAndInline,
  invalidTag,
  duplicateTag,
  invalidCacheRepository,
  pushToOfficialImages,
  reservedLabel,
  pathOutsideRoot,
  outputProtected,
  outputOverlap,
  outputThroughSymlink,
  mountTargetInsideContext,
  mountCollision,
  contextMissing,
  dockerfileMissing,
  secretLikeArg,
  secretSourceMissing,
  sshSourceMissing,
  sshDuplicateId,
];

export type { Rule, RuleContext } from './rule.js';
export { sessionProblems } from './sessions.js';
