/** WWW-Authenticate parsing (RFC 7235 §4.1) and which challenge a client answers. */
import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from '../../src/registry/challenge.js';

describe('parseChallenges', () => {
  it.each([
    ['Basic realm="mbuild-test"', [{ scheme: 'basic', params: { realm: 'mbuild-test' } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } }],
    ],
    [
      'Bearer realm="https://a/token", service="reg", Basic realm="x"',
      [
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg' } },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
    ['BEARER Realm=plain-token , Service = "s"', [{ scheme: 'bearer', params: { realm: 'plain-token', service: 's' } }]],
    ['Basic realm="say \\"hi\\" \\\\ there"', [{ scheme: 'basic', params: { realm: 'say "hi" \\ there' } }]],
    [
      'Negotiate abc123==, Basic realm="r"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'r' } },
      ],
    ],
    ['Basic', [{ scheme: 'basic', params: {} }]],
    ['Basic realm="unclosed', [{ scheme: 'basic', params: { realm: 'unclosed' } }]],
    ['', []],
    [' , ', []],
  ])('%s', (header, challenges) => {
    expect(parseChallenges(header)).toEqual(challenges);
  });
});

describe('pickChallenge', () => {
  it('answers Bearer when offered, else Basic, else nothing', () => {
    expect(pickChallenge(parseChallenges('Basic realm="b", Bearer realm="t"'))?.scheme).toBe('bearer');
    expect(pickChallenge(parseChallenges('Negotiate x, Basic realm="b"'))?.scheme).toBe('basic');
    expect(pickChallenge(parseChallenges('Negotiate x'))).toBeUndefined();
  });
});
