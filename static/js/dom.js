/*
 * Small DOM helpers the room page's views share. New markup only ever comes from
 * the page's <template>s (templates/rooms/_items.html), so it matches what the
 * server renders; data goes into the copies as text.
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
