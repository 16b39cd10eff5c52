/*
 * Timeline: one room's messages as this client holds them, by seq. No DOM here:
 * the page draws what this decides, and tests/js/timeline.test.mjs checks the rules.
 *
 * The rules (docs/protocol.md §11):
 * - a seq is held once; a later copy replaces it only if its `rev` is higher (a
 *   message without rev counts as rev 0), so repeats and stale edits change nothing;
 * - `contiguous` is the highest seq up to which nothing is missing: the resume
 *   point for `join {since}` and `history {after}`; anything held or announced
 *   above it is a gap to repair;
 * - a change (`message_changed`, a join's `changed`) is taken like any copy, except
 *   for a message older than what is loaded: that is no reason to load it;
 * - `oldest` and `hasOlder` say whether "load older" can go further back.
 * Everything is keyed by seq and kept in seq order, so per-seq state that is still
 * to come (a read mark, where an unread divider goes) fits beside it.
 */

// A seq from a page attribute or an ack: a positive integer, else 0 ("none").
export function toSeq(value) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

const revOf = (m) => (Number.isInteger(m.rev) && m.rev > 0 ? m.rev : 0);

export class Timeline {
  #bySeq = new Map();   // seq -> message
  #seqs = [];           // the held seqs, ascending

  // lastSeq/firstSeq: the newest and oldest seq the server rendered into the page;
  // hasOlder: whether it has messages below firstSeq.
  constructor(room, { lastSeq = 0, firstSeq = 0, hasOlder = false } = {}) {
    this.room = room;
    this.contiguous = lastSeq;
    this.highest = lastSeq;     // the highest seq known to exist: held, or announced by a join
    this.firstRendered = firstSeq;
    this.hasOlder = hasOlder;
  }

  // A message of this room with a usable seq; anything else is ignored.
  accepts(m) {
    return m !== null && typeof m === 'object' && m.room === this.room && Number.isInteger(m.seq) && m.seq > 0;
  }

  // Keeps `m` unless its seq is held with an equal or higher rev.
  // Returns 'added', 'replaced', or null when nothing changed.
  upsert(m) {
    if (!this.accepts(m)) return null;
    const held = this.#bySeq.get(m.seq);
    if (held && revOf(m) <= revOf(held)) return null;
    this.#bySeq.set(m.seq, m);
    if (held) return 'replaced';
    this.#seqs.splice(this.#indexAbove(m.seq), 0, m.seq);
    if (m.seq > this.highest) this.highest = m.seq;
    while (this.#bySeq.has(this.contiguous + 1)) this.contiguous += 1;
    return 'added';
  }

  // A changed message: as upsert, but one below the oldest loaded is left out.
  update(m) {
    if (!this.accepts(m) || (!this.#bySeq.has(m.seq) && m.seq < this.oldest)) return null;
    return this.upsert(m);
  }

  get(seq) {
    return this.#bySeq.get(seq);
  }

  // The newest message of `username` that is not deleted (the one Up-arrow edits), or null.
  newestBy(username) {
    for (let i = this.#seqs.length - 1; i >= 0; i -= 1) {
      const m = this.#bySeq.get(this.#seqs[i]);
      if (m.username === username && !m.deleted) return m;
    }
    return null;
  }

  get size() {
    return this.#seqs.length;
  }

  // The held seqs in order (a copy).
  seqs() {
    return this.#seqs.slice();
  }

  // The next held seq above `seq`, or null: where a new message goes before.
  nextAbove(seq) {
    const i = this.#indexAbove(seq);
    return i < this.#seqs.length ? this.#seqs[i] : null;
  }

  // The held message just below `seq`, or null: what a message follows in the list.
  prevBelow(seq) {
    const i = this.#indexAbove(seq - 1) - 1;
    return i >= 0 ? this.#bySeq.get(this.#seqs[i]) : null;
  }

  // The lowest seq on the page: the lowest held, else the one the server rendered.
  get oldest() {
    return this.#seqs.length ? this.#seqs[0] : this.firstRendered;
  }

  // Something above `contiguous` exists that is not held.
  hasGap() {
    return this.contiguous < this.highest;
  }

  // A join's `last_seq`: the room has at least that many messages.
  noteLastSeq(lastSeq) {
    if (Number.isInteger(lastSeq) && lastSeq > this.highest) this.highest = lastSeq;
  }

  // The room's history is shorter than what is held (a restored database): what is
  // held beyond `lastSeq` no longer exists and its seqs will be reused.
  outlives(lastSeq) {
    return Number.isInteger(lastSeq) && lastSeq < this.contiguous;
  }

  // After a `history {before}` page: whether the server has more below it.
  olderLoaded(hasMore) {
    this.hasOlder = Boolean(hasMore);
  }

  canLoadOlder() {
    return this.hasOlder && this.oldest > 1;
  }

  // The index of the first held seq above `seq` (binary search).
  #indexAbove(seq) {
    let lo = 0;
    let hi = this.#seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#seqs[mid] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
