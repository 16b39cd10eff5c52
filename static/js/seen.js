/*
 * Last-seen seqs, for the unread markers on the room list. No DOM here.
 *
 * Per browser (localStorage), per user and room: the highest contiguous seq the
 * room page has had on screen. The room list compares it with the last seq the
 * server renders for each room. Storage may be disabled or full; markers are a
 * nicety, so that means no markers rather than an error.
 */

const key = (user, slug) => 'parley:seen:' + user + ':' + slug;

// `storage` is for tests; it is looked up inside the try, as merely reading
// window.localStorage throws where storage is disabled.
const storageOf = (storage) => storage || globalThis.localStorage;

export function readSeen(user, slug, storage) {
  try {
    const raw = storageOf(storage).getItem(key(user, slug));
    return raw === null ? null : Number.parseInt(raw, 10) || 0;
  } catch (e) {
    return null;
  }
}

// Only ever moves forward: another tab may have seen more.
export function writeSeen(user, slug, seq, storage) {
  try {
    const old = readSeen(user, slug, storage);
    if (old === null || seq > old) storageOf(storage).setItem(key(user, slug), String(seq));
  } catch (e) {
    /* markers are a nicety */
  }
}

// The badge for a room whose last seq is `last`: null when nothing is unread.
export function unreadBadge(last, seen) {
  const count = last - (seen || 0);
  if (!(count > 0)) return null;
  return {
    text: count > 99 ? '99+' : String(count),
    label: count + (count === 1 ? ' unread message' : ' unread messages'),
  };
}
