/*
 * What was typed in a room's message box and not sent, kept per user and room in
 * this browser (localStorage), so leaving a room and coming back finds it. No DOM.
 * Storage may be disabled or full: then drafts are simply not kept.
 */

const key = (user, room) => 'parley:draft:' + user + ':' + room;

// `storage` is for tests; looked up inside the try, as reading window.localStorage
// throws where storage is disabled.
const storageOf = (storage) => storage || globalThis.localStorage;

export function readDraft(user, room, storage) {
  try {
    return storageOf(storage).getItem(key(user, room)) || '';
  } catch (e) {
    return '';
  }
}

// An empty (or blank) draft is no draft: the entry goes.
export function writeDraft(user, room, text, storage) {
  try {
    if (String(text).trim()) storageOf(storage).setItem(key(user, room), String(text));
    else storageOf(storage).removeItem(key(user, room));
  } catch (e) {
    /* drafts are a nicety */
  }
}
