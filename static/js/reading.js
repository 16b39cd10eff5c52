/*
 * When the open room counts as read. No DOM: room-page.js asks.
 *
 * A room is read up to the newest message it shows while it is open in a visible
 * tab and scrolled to the bottom (docs/protocol.md §5.6). The mark only moves
 * forward, so one `read` is asked per new seq: never for a seq at or below the
 * mark, nor again for one already asked (its ack is on its way).
 */

export class ReadMarker {
  // mark: the reader's last_read_seq as the page or a join has it.
  constructor(mark = 0) {
    this.mark = mark;
    this.asked = 0;
  }

  // The seq to send as `read` now, or 0. newest: the highest seq shown with none missing below.
  target({ visible, atBottom, newest }) {
    if (!visible || !atBottom) return 0;
    return newest > Math.max(this.mark, this.asked) ? newest : 0;
  }

  asking(seq) {
    this.asked = Math.max(this.asked, seq);
  }

  // The server's mark (an ack, a join, or another tab's `read`).
  moved(mark) {
    if (Number.isInteger(mark)) this.mark = Math.max(this.mark, mark);
  }

  // An ask that failed may be asked again.
  failed(seq) {
    if (this.asked === seq) this.asked = this.mark;
  }
}

// Where the "new messages" divider goes: the first seq above `mark` written by
// someone else, among `messages` (oldest first); 0 when everything shown is read.
export function firstUnread(messages, mark, me) {
  for (const m of messages) if (m.seq > mark && m.username !== me) return m.seq;
  return 0;
}
