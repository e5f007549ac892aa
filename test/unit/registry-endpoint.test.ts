/** Where a registry's API is: plain HTTP on loopback hosts, HTTPS elsewhere with the engine's extra CAs. */
import { afterEach, describe, expect, it } from 'vitest';
import { Agents, extraCAs, isLoopback, registryBase } from '../../src/registry/endpoint.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('registryBase', () => {
  it.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000/'],
    ['127.9.8.7', 'http://127.9.8.7/'],
    ['localhost:5000', 'http://localhost:5000/'],
    ['localhost', 'http://localhost/'],
    ['[::1]:5000', 'http://[::1]:5000/'],
    ['128.0.0.1:5000', 'https://128.0.0.1:5000/'],
    ['localhost.example.com', 'https://localhost.example.com/'],
    ['127.0.0.1.example.com', 'https://127.0.0.1.example.com/'],
    ['reg.example.com:8443', 'https://reg.example.com:8443/'],
    ['docker.io', 'https://registry-1.docker.io/'],
  ])('%s → %s', (registry, base) => {
    expect(registryBase(registry).href).toBe(base);
  });

  it('isLoopback takes URL hostnames', () => {
    expect(['localhost', '127.0.0.1', '[::1]'].map(isLoopback)).toEqual([true, true, true]);
    expect(['::1x', '10.0.0.1', 'localhostx', '127.0.0'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});

describe('extra CAs', () => {
  it('are the *.crt files of certs.d/<host:port>, in name order; none without the folder', () => {
    const d = testdir({ 'reg.io:5000/b.crt': 'B', 'reg.io:5000/a.crt': 'A', 'reg.io:5000/client.cert': 'C', 'reg.io:5000/client.key': 'K' });
    cleanups.push(d.cleanup);
    expect(extraCAs(d.dir, 'reg.io:5000')).toEqual(['A', 'B']);
    expect(extraCAs(d.dir, 'other.io')).toEqual([]);
  });

  it('one agent per https host; none for http', () => {
    const agents = new Agents('/nonexistent');
    const a = agents.for(new URL('https://reg.io/v2/'));
    expect(a).toBeDefined();
    expect(agents.for(new URL('https://reg.io/token'))).toBe(a);
    expect(agents.for(new URL('https://other.io/v2/'))).not.toBe(a);
    expect(agents.for(new URL('http://127.0.0.1:5000/v2/'))).toBeUndefined();
  });
});
