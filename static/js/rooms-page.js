/*
 * Entry point of the room list (/rooms): marks rooms with messages this browser
 * has not shown yet. The page works without it; see seen.js for where the
 * last-seen seqs come from.
 */

import { readSeen, unreadBadge } from './seen.js';

const rooms = document.getElementById('rooms');
const user = rooms ? rooms.dataset.username : '';

if (user) {
  for (const li of rooms.querySelectorAll('.room-list li[data-room]')) {
    const badgeEl = li.querySelector('.unread');
    const badge = unreadBadge(Number.parseInt(li.dataset.lastSeq, 10) || 0, readSeen(user, li.dataset.room));
    if (!badgeEl || !badge) continue;
    li.classList.add('has-unread');
    badgeEl.textContent = badge.text;
    badgeEl.title = badge.label;
    badgeEl.setAttribute('aria-label', badge.label);
    badgeEl.hidden = false;
  }
}
