/*
 * Mentions in the browser: whether a message names the reader, the `@name` being
 * typed and who it may mean, and when a mention deserves a notification. No DOM.
 *
 * The server marks a mention of an existing user in a message's html as
 * <span class="mention" data-user="<username>"> (docs/protocol.md §7.2).
 */

const NAME_CHARS = /[A-Za-z0-9_.-]/;

export function mentionsMe(html, me) {
  return typeof html === 'string' && Boolean(me) && html.includes('data-user="' + me + '"');
}

// The `@prefix` the caret stands at the end of in `text`, as { start, prefix }
// (start: the index of the @), or null. An @ inside a word (an e-mail address)
// or inside `code` starts none.
export function mentionQuery(text, caret) {
  const before = String(text).slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  const prefix = before.slice(at + 1);
  if (prefix.length > 32 || ![...prefix].every((c) => NAME_CHARS.test(c))) return null;
  if (at > 0 && (NAME_CHARS.test(before[at - 1]) || before[at - 1] === '@')) return null;
  if ((before.slice(0, at).match(/`/g) || []).length % 2 === 1) return null;
  return { start: at, prefix };
}

// Names among `names` that `prefix` may mean: those starting with it first, then
// those containing it, each by name, without `me`; at most `limit`.
export function mentionMatches(names, prefix, me, limit = 8) {
  const p = prefix.toLowerCase();
  const others = [...new Set(names)].filter((name) => name && name !== me && name.toLowerCase().includes(p));
  const byName = (a, b) => a.toLowerCase().localeCompare(b.toLowerCase());
  const starting = others.filter((name) => name.toLowerCase().startsWith(p)).sort(byName);
  const containing = others.filter((name) => !name.toLowerCase().startsWith(p)).sort(byName);
  return [...starting, ...containing].slice(0, limit);
}

// `text` with the query at `caret` replaced by "@name ", and where the caret goes.
export function completeMention(text, query, caret, name) {
  const head = String(text).slice(0, query.start) + '@' + name + ' ';
  const tail = String(text).slice(caret).replace(/^ /, '');
  return { text: head + tail, caret: head.length };
}

// A mention deserves a notification when notifications are allowed and the
// reader is not looking at it: the tab is hidden, or it is in another room.
export function shouldNotify({ permission, hidden, room, openRoom }) {
  return permission === 'granted' && (hidden || room !== openRoom);
}
