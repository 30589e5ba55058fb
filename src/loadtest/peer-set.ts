/** The online sessions that may receive messages: O(1) add, remove and random pick. */
export interface PeerSet {
  add(index: number, jid: string): void;
  remove(index: number): void;
  /** Bare JID of a random online session other than `self`. */
  random(self: number, random: () => number): string | undefined;
  online(index: number): string | undefined;
  readonly size: number;
}

/** @example const peers = createPeerSet(); peers.add(0, 'user1@x'); peers.random(1, Math.random); */
export function createPeerSet(): PeerSet {
  const order: number[] = [];
  const position = new Map<number, number>();
  const jids = new Map<number, string>();
  return {
    add(index, jid) {
      if (position.has(index)) return;
      position.set(index, order.length);
      order.push(index);
      jids.set(index, jid);
    },
    remove(index) {
      const at = position.get(index);
      if (at === undefined) return;
      const last = order.pop() as number;
      if (last !== index) {
        order[at] = last;
        position.set(last, at);
      }
      position.delete(index);
      jids.delete(index);
    },
    random(self, random) {
      const others = order.length - (position.has(self) ? 1 : 0);
      if (others <= 0) return undefined;
      for (;;) {
        const pick = order[Math.floor(random() * order.length)] as number;
        if (pick !== self) return jids.get(pick);
      }
    },
    online: (index) => jids.get(index),
    get size() {
      return order.length;
    },
  };
}
