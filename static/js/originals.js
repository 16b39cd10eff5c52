/*
 * Originals: the messages that replies on the page quote but the timeline does
 * not hold (they are older than what is loaded). No DOM here.
 *
 * An original is asked for when a quote is drawn; one neither here nor in the
 * timeline is fetched once (all of them together, as soon as the room is
 * joined), and one that could not be fetched is asked for again after the
 * next join. Like the timeline, this keeps the highest rev per seq, so a
 * change (an edit, a deletion) reaches quotes too.
 */

import { Timeline } from './timeline.js';

export class Originals {
  #held;                 // a timeline used as a store: highest rev per seq
  #wanted = new Set();   // seqs asked for and not fetched yet
  #asking = new Set();   // seqs being fetched

  // fetchOne(seq) -> Promise<message | null>; onArrived(seq) when an original
  // came or changed; isOnline() says whether fetching can work now.
  constructor(timeline, { fetchOne, onArrived, isOnline }) {
    Object.assign(this, { timeline, fetchOne, onArrived, isOnline });
    this.#held = new Timeline(timeline.room);
  }

  // The original at `seq` for a quote, or undefined while it is not here.
  quoteOf(seq) {
    const m = this.timeline.get(seq) || this.#held.get(seq);
    if (!m && !this.#wanted.has(seq)) {
      this.#wanted.add(seq);
      if (this.isOnline()) queueMicrotask(() => this.fetchWanted());
    }
    return m;
  }

  // Fetches every original asked for and still missing.
  async fetchWanted() {
    const missing = Array.from(this.#wanted).filter((seq) => !this.#asking.has(seq) && !this.timeline.get(seq));
    await Promise.all(missing.map(async (seq) => {
      this.#asking.add(seq);
      const m = await this.fetchOne(seq);
      this.#asking.delete(seq);
      if (m && m.seq === seq) this.offer(m);
    }));
  }

  // Any message object that arrived: kept if it is an original asked for here.
  offer(m) {
    if (!this.#held.accepts(m) || !(this.#wanted.has(m.seq) || this.#held.get(m.seq))) return;
    this.#wanted.delete(m.seq);
    if (this.#held.upsert(m)) this.onArrived(m.seq);
  }
}
