/*
 * RevTracker: how far this page has every change of the room, as a rev
 * (docs/protocol.md §7.1 and §11 step 6). No DOM here.
 *
 * Every rev of a room belongs to exactly one message object (a new message or
 * one change of it), and whatever carries rev r, however it arrives, shows
 * that change. So `last` moves like the timeline's contiguous seq: over revs
 * that arrive one after another, holding those further ahead until the hole
 * below them closes. A lost `message_changed` leaves `last` below it, and the
 * next join's `since_rev` brings it back in `changed`.
 */

const isRev = (rev) => Number.isInteger(rev) && rev > 0;

export class RevTracker {
  #ahead = new Set();   // revs seen above `last + 1`

  // lastRev: the rev the server rendered the page at (read before its messages).
  constructor(lastRev = 0) {
    this.last = isRev(lastRev) ? lastRev : 0;
  }

  // A message object arrived (an event, an ack, a history page): its rev is here.
  note(rev) {
    if (!isRev(rev) || rev <= this.last) return;
    this.#ahead.add(rev);
    this.#advance();
  }

  // A join's `last_rev`: the ack and what the page holds cover every change up to it.
  joined(lastRev) {
    if (isRev(lastRev) && lastRev > this.last) this.last = lastRev;
    for (const rev of this.#ahead) if (rev <= this.last) this.#ahead.delete(rev);
    this.#advance();
  }

  #advance() {
    while (this.#ahead.delete(this.last + 1)) this.last += 1;
  }
}
