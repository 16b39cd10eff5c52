/*
 * GapRepair: closes a gap in the timeline with `history {after: contiguous}`,
 * page by page (docs/protocol.md §11 step 3). No DOM here: the page hands in how
 * to fetch a page and what to do with its messages; this keeps the bookkeeping.
 *
 * Why the bookkeeping: live events from several server processes often arrive
 * out of order and close a gap by themselves, so a repair waits a moment first;
 * at most one repair runs at a time, and a gap seen meanwhile gets one more round
 * after it; one repair asks for a bounded number of pages, and later events
 * continue it.
 */

export const GAP_GRACE_MS = 200;
export const PAGE_LIMIT = 200;        // the server's cap for history pages
export const MAX_FILL_PAGES = 25;     // one repair fetches at most 5000 messages

export class GapRepair {
  #timer = null;
  #filling = false;
  #again = false;

  // fetchAfter(after, limit) -> Promise<ack> of `history`; absorb(messages) stores
  // a page into the timeline; isJoined() says whether asking makes sense now.
  constructor({ timeline, fetchAfter, absorb, isJoined }) {
    Object.assign(this, { timeline, fetchAfter, absorb, isJoined });
  }

  // A gap may have opened: repair it after the grace period.
  note() {
    if (!this.isJoined() || !this.timeline.hasGap()) return;
    if (this.#filling) {
      this.#again = true;
      return;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.fill();
      }, GAP_GRACE_MS);
    }
  }

  // After a join: its ack had more to give, or announced seqs not held. No grace:
  // nothing else will bring them.
  afterJoin(hasMore) {
    if (!hasMore && !this.timeline.hasGap()) return;
    if (this.#filling) this.#again = true;   // a repair from before the reconnect is finishing
    else this.fill();
  }

  async fill() {
    if (this.#filling || !this.isJoined()) return;
    this.#filling = true;
    try {
      for (let page = 0; page < MAX_FILL_PAGES; page += 1) {
        const from = this.timeline.contiguous;
        const ack = await this.fetchAfter(from, PAGE_LIMIT);
        if (!ack.ok) break;   // offline or refused: a re-join or the next live event tries again
        this.absorb(ack.messages);
        if (!ack.has_more || this.timeline.contiguous === from) break;
      }
    } finally {
      this.#filling = false;
    }
    if (this.#again) {
      this.#again = false;
      this.note();
    }
  }
}
