/*
 * How the message list is laid out on the reader's clock: day dividers and runs
 * of one author. No DOM. chat/rooms/layout.py applies the same rules in UTC for
 * the server-rendered page.
 *
 * - A message begins a day when it is the first shown, or its local date differs
 *   from the previous message's.
 * - A message continues its author's run (no name, no time repeated) when the
 *   previous message is theirs, on the same day, at most five minutes earlier, and
 *   no "new messages" divider comes between.
 */

export const RUN_GAP_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// "Today", "Yesterday", or the date written out (in the reader's locale).
export function dayLabel(date, now = new Date()) {
  if (sameDay(date, now)) return 'Today';
  if (sameDay(date, new Date(now.getTime() - DAY_MS))) return 'Yesterday';
  return date.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

// prev: the message shown just above `m` (or null); dividedByUnread: the "new
// messages" divider sits above `m`. Returns { day: Date|null, continued: bool }.
export function placement(prev, m, { dividedByUnread = false } = {}) {
  const at = new Date(m.created_at);
  const before = prev ? new Date(prev.created_at) : null;
  if (Number.isNaN(at.getTime())) return { day: null, continued: false };
  const newDay = !before || Number.isNaN(before.getTime()) || !sameDay(before, at);
  const gap = before ? at.getTime() - before.getTime() : -1;
  const continued = !newDay && !dividedByUnread && prev.username === m.username && gap >= 0 && gap <= RUN_GAP_MS;
  return { day: newDay ? at : null, continued };
}
