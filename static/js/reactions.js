/*
 * Reactions: what a message's `reactions` say to this reader, and what a click
 * asks the server. No DOM here.
 *
 * A click sends the state it wants (`on: true` to add, `false` to take back),
 * never "toggle": a double click, or a retry, then asks the same thing twice,
 * and the server answers the second one without changing anything.
 */

const groups = (m) => (m && Array.isArray(m.reactions) ? m.reactions : []);

const namesOf = (group) => (Array.isArray(group.usernames) ? group.usernames.filter((n) => typeof n === 'string') : []);

// One chip per emoji, in the order the server lists them (first reaction first).
export function reactionChips(m, me) {
  const chips = [];
  for (const group of groups(m)) {
    const names = namesOf(group);
    if (typeof group.emoji !== 'string' || !group.emoji || names.length === 0) continue;
    chips.push({ emoji: group.emoji, count: names.length, names: names.join(', '), mine: names.includes(me) });
  }
  return chips;
}

// The `react` payload's emoji and `on` for a click on `emoji`: add it unless it is already ours.
export function reactionRequest(m, emoji, me) {
  const mine = groups(m).some((group) => group.emoji === emoji && namesOf(group).includes(me));
  return { emoji, on: !mine };
}
