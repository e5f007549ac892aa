/**
 * What a secret puts in an image's key with `secret_in_key: true`: a salted, slow hash of its
 * value. The salt is deterministic (the secret's id) so that two machines with the same token
 * compute the same key and share cache hits; scrypt makes guessing a weak token from a key
 * (which may end up in a registry tag or label) expensive. Never shown to people: `why` says
 * only "secret ID changed".
 */
import { createHash, scryptSync } from 'node:crypto';

export const SECRET_DIGEST_PREFIX = 'scrypt-';
/** N=2^14, r=8, p=1: 16 MiB and some 50 ms per value. */
const PARAMS = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** Digests already computed in this process, by id and a fast hash of the value (an image's secrets are often shared through `defaults`). */
const computed = new Map<string, string>();

export function secretDigest(id: string, value: Buffer): string {
  const memo = `${id}\0${createHash('sha256').update(value).digest('hex')}`;
  let digest = computed.get(memo);
  if (digest === undefined) {
    digest = SECRET_DIGEST_PREFIX + scryptSync(value, `mbuild-secret-1\0${id}`, 32, PARAMS).toString('hex');
    computed.set(memo, digest);
  }
  return digest;
}
