import { describe, expect, it } from 'vitest';
import { assignShards, rendezvousOwner, SHARD_COUNT, shardOf, shardsOf } from './shards.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `profile-${i}`);

describe('shards and rendezvous assignment', () => {
  it('gives every name a stable shard in range', () => {
    for (const name of names(500)) {
      const shard = shardOf(name);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(SHARD_COUNT);
      expect(shardOf(name)).toBe(shard);
    }
    // Known values pin the hash: changing it would move every entity of a running cluster.
    expect([shardOf('alice'), shardOf('bob'), shardOf('')]).toEqual([231, 212, 197]);
  });

  it('assigns every shard to exactly one live node, the same whatever the order of the list', () => {
    const nodes = ['node-a', 'node-b', 'node-c'];
    const one = assignShards(nodes);
    const other = assignShards([...nodes].reverse());
    expect(one.size).toBe(SHARD_COUNT);
    expect([...one]).toEqual([...other]);
    const union = nodes.flatMap((n) => [...shardsOf(n, nodes)]);
    expect(union.length).toBe(SHARD_COUNT);
    expect(new Set(union).size).toBe(SHARD_COUNT);
  });

  it('spreads 256 shards over 3 nodes within 25% of even', () => {
    const nodes = ['node-a', 'node-b', 'node-c'];
    for (const node of nodes) {
      const share = shardsOf(node, nodes).size;
      expect(share).toBeGreaterThan((SHARD_COUNT / 3) * 0.75);
      expect(share).toBeLessThan((SHARD_COUNT / 3) * 1.25);
    }
  });

  it('moves only the shards the joining node wins, and only the leaving node shards', () => {
    const three = assignShards(['a', 'b', 'c']);
    const four = assignShards(['a', 'b', 'c', 'd']);
    for (const [shard, owner] of four) {
      if (owner !== 'd') expect(three.get(shard)).toBe(owner);
    }
    const two = assignShards(['a', 'c']);
    for (const [shard, owner] of three) {
      if (owner !== 'b') expect(two.get(shard)).toBe(owner);
      else expect(['a', 'c']).toContain(two.get(shard));
    }
  });

  it('has no owner without nodes', () => {
    expect(rendezvousOwner(3, [])).toBeUndefined();
    expect(assignShards([]).size).toBe(0);
  });
});
