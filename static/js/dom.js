/*
 * Small DOM helpers the room page's views share. New markup only ever comes from
 * the page's <template>s (templates/rooms/_items.html), so it matches what the
 * server renders; data goes into the copies as text (the one exception, a
 * message's server-sanitised html, is in message-item.js).
 */

export const byId = (id) => document.getElementById(id);

// A fresh copy of the one element a <template id=...> holds.
export function fromTemplate(id) {
  return byId(id).content.firstElementChild.cloneNode(true);
}

const pad = (n) => String(n).padStart(2, '0');

// The server renders HH:MM in UTC; readers want their own clock.
export function setTime(timeEl, iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return;
  timeEl.dateTime = iso;
  timeEl.textContent = pad(date.getHours()) + ':' + pad(date.getMinutes());
  timeEl.title = date.toLocaleString();
}

// "edited", with the full date on hover; hidden for a message never edited.
export function setEdited(timeEl, iso) {
  const date = new Date(iso);
  timeEl.hidden = !iso || Number.isNaN(date.getTime());
  if (timeEl.hidden) return;
  timeEl.dateTime = iso;
  timeEl.title = 'Edited ' + date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' });
}
