/*
 * Unread counts of the sidebar between page loads. No DOM: sidebar.js draws them.
 *
 * Per room: `lastSeq` (its newest known seq), `readSeq` (the reader's mark) and the
 * mentions beyond the mark. The server renders each count as it stands; live, an
 * `activity {room, last_seq, mention}` raises them and a `read {room,
 * last_read_seq}` (or our own read) clears them (docs/protocol.md §6, §9.1).
 * Every number only moves forward, so a page rendered before an event that
 * arrived first, or an event repeated, changes nothing wrongly: a new render is
 * merged with what was learned live, not taken blindly.
 *
 * Mentions: the server's count covers its render (seqs up to its `lastSeq`); the
 * seqs of mentions learned live above that are kept one by one. A read mark at or
 * past the rendered `lastSeq` clears the rendered ones; live ones go as the mark
 * passes them.
 */

export class UnreadCounts {
  #rooms = new Map();   // slug -> { lastSeq, readSeq, rendered, renderedUpTo, live: Set<seq> }

  // A room as a page rendered it: { lastSeq, readSeq, mentions }.
  seed(slug, { lastSeq = 0, readSeq = 0, mentions = 0 } = {}) {
    const held = this.#rooms.get(slug);
    const room = { lastSeq, readSeq, rendered: mentions, renderedUpTo: lastSeq, live: new Set() };
    if (held) {
      room.lastSeq = Math.max(lastSeq, held.lastSeq);
      room.readSeq = Math.max(readSeq, held.readSeq);
      for (const seq of held.live) if (seq > lastSeq) room.live.add(seq);
    }
    this.#rooms.set(slug, room);
    settle(room);
  }

  // The room left the sidebar (membership ended, archived): its counts count no more.
  forget(slug) {
    this.#rooms.delete(slug);
  }

  knows(slug) {
    return this.#rooms.has(slug);
  }

  // An `activity` event; false when it names a room this sidebar does not show yet.
  // A message of `me` (its `username`) moved the mark to it: one's own messages are never unread.
  activity({ room: slug, last_seq: seq, mention, username }, me) {
    const room = this.#rooms.get(slug);
    if (!room) return false;
    if (!Number.isInteger(seq) || seq < 0) return true;
    room.lastSeq = Math.max(room.lastSeq, seq);
    if (me && username === me) this.read(slug, seq);
    else if (mention === true && seq > room.readSeq && seq > room.renderedUpTo) room.live.add(seq);
    return true;
  }

  // A newer message seen in a room (the open room's own messages).
  seen(slug, seq) {
    const room = this.#rooms.get(slug);
    if (room && Number.isInteger(seq)) room.lastSeq = Math.max(room.lastSeq, seq);
  }

  // The mark moved (a `read` event, or our own read's ack).
  read(slug, seq) {
    const room = this.#rooms.get(slug);
    if (!room || !Number.isInteger(seq)) return;
    room.readSeq = Math.max(room.readSeq, seq);
    room.lastSeq = Math.max(room.lastSeq, room.readSeq);
    settle(room);
  }

  counts(slug) {
    const room = this.#rooms.get(slug);
    if (!room) return { unread: 0, mentions: 0 };
    return { unread: Math.max(room.lastSeq - room.readSeq, 0), mentions: room.rendered + room.live.size };
  }

  // Unread mentions in every room together (the tab's title).
  totalMentions() {
    let total = 0;
    for (const slug of this.#rooms.keys()) total += this.counts(slug).mentions;
    return total;
  }
}

function settle(room) {
  if (room.readSeq >= room.renderedUpTo) room.rendered = 0;
  for (const seq of room.live) if (seq <= room.readSeq) room.live.delete(seq);
}

// What a badge shows for `count`.
export function badgeText(count) {
  return count > 99 ? '99+' : String(count);
}

// The page's title with the unread mentions in front: "(2) general · Parley".
export function titleWith(mentions, title) {
  const bare = String(title).replace(/^\(\d+\+?\) /, '');
  return mentions > 0 ? '(' + badgeText(mentions) + ') ' + bare : bare;
}
