/*
 * Presence as the server tells it: one `presence` event per room and tick, with
 * every change of that tick ({room, changes: [{username, online}, ...]}). No DOM:
 * the member list and the sidebar apply what this reads.
 */

// The valid changes of `ev` for `room` (every room when room is null), in order; [] for anything else.
export function presenceChanges(ev, room = null) {
  if (!ev || typeof ev.room !== 'string' || !Array.isArray(ev.changes)) return [];
  if (room !== null && ev.room !== room) return [];
  return ev.changes.filter((c) => c && typeof c.username === 'string' && c.username && typeof c.online === 'boolean');
}

// Who of a direct room's other people is online, kept per room: the sidebar's dot is lit while any is.
export class DirectPresence {
  #online = new Map();   // room -> Set of usernames online

  seed(room, names) {
    this.#online.set(room, new Set(names));
  }

  // Apply one event; true if the room's state (anyone online or not) may have changed.
  apply(ev, me) {
    const changes = presenceChanges(ev).filter((c) => c.username !== me);
    if (!changes.length) return false;
    const names = this.#online.get(ev.room) || new Set();
    for (const { username, online } of changes) {
      if (online) names.add(username);
      else names.delete(username);
    }
    this.#online.set(ev.room, names);
    return true;
  }

  anyoneOnline(room) {
    return (this.#online.get(room) || new Set()).size > 0;
  }
}
