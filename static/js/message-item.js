/*
 * One message drawn: a copy of #message-template filled from a message object,
 * or a message already on the page brought to a newer rev in place, so that an
 * open editor, the focus on a reaction and the reader's place all stay.
 *
 * Data goes in as text. The one exception is `html`, which the server rendered
 * and sanitised with an allow-list (docs/protocol.md §7): it is the only HTML
 * this client ever inserts. A message still being sent has no `html` yet and
 * shows its text as typed.
 */

import { fromTemplate, setEdited, setTime } from './dom.js';
import { reactionChips } from './reactions.js';
import { quoteParts } from './quotes.js';
import { mentionsMe } from './mentions.js';

// The plain text of a message's html, for quotes: parsed into an inert
// <template>, where nothing loads or runs.
export function plainText(html) {
  const parsed = document.createElement('template');
  parsed.innerHTML = html;
  return parsed.content.textContent;
}

// ctx: { me, moderator (the reader runs the room), held(seq): whether the list shows it, quoteOf(seq): the original or undefined }.
export function messageItem(m, ctx) {
  const li = fromTemplate('message-template');
  fillMessage(li, m, ctx);
  return li;
}

// "Display Name (username)", or the username alone: as templates/rooms/_items.html shows it.
export function shownName(username, displayName) {
  return typeof displayName === 'string' && displayName ? `${displayName} (${username})` : String(username);
}

export function fillMessage(li, m, ctx) {
  const part = (name) => li.querySelector(':scope > .' + name);
  const deleted = Boolean(m.deleted);
  const own = m.username === ctx.me;
  if (m.seq) {
    li.id = 'm' + m.seq;
    li.dataset.seq = String(m.seq);
    li.dataset.rev = String(m.rev || 0);
  }
  li.classList.toggle('mine', own);
  li.classList.toggle('deleted', deleted);
  part('author').textContent = shownName(m.username, m.display_name);
  setTime(part('sent'), m.created_at);
  setEdited(part('edited'), deleted ? null : m.edited_at);
  const text = part('text');
  const rendered = typeof m.html === 'string';
  if (rendered) text.innerHTML = m.html;   // server-sanitised, see above
  else text.textContent = String(m.text);
  // The reader's own mentions stand out, as the server renders them (templates/rooms/_items.html).
  li.classList.toggle('mentions-me', rendered && mentionsMe(m.html, ctx.me));
  for (const mention of text.querySelectorAll('.mention')) mention.classList.toggle('me', mention.dataset.user === ctx.me);
  text.classList.toggle('plain', !rendered);
  text.hidden = deleted;
  part('tombstone').hidden = !deleted;
  fillQuote(part('quote'), deleted ? null : m.reply_to, ctx);
  fillReactions(part('reactions'), deleted ? [] : reactionChips(m, ctx.me));
  const actions = part('actions');
  actions.hidden = deleted || !m.seq;
  // The server renders these only where they apply; a copy of the template has both.
  const edit = actions.querySelector('[data-action="edit"]');
  if (edit) edit.hidden = !own;
  const remove = actions.querySelector('[data-action="delete"]');
  if (remove) remove.hidden = !own && !ctx.moderator;   // a room's admins delete anyone's
}

// The quote of the message at `seq` (none: hidden). Without script its link opens
// the room around the original; the page catches the click and jumps instead.
export function fillQuote(link, seq, ctx) {
  link.hidden = !seq;
  if (!seq) return;
  const quote = quoteParts(ctx.quoteOf(seq), plainText);
  link.dataset.replyTo = String(seq);
  link.href = (ctx.held(seq) ? '' : '?around=' + seq) + '#m' + seq;
  link.querySelector('.quote-author').textContent = quote.author;
  const text = link.querySelector('.quote-text');
  text.textContent = quote.text;
  text.classList.toggle('gone', quote.gone);
}

// The chips, kept per emoji rather than redrawn: a chip that has the focus keeps it.
function fillReactions(box, chips) {
  const wanted = new Set(chips.map((chip) => chip.emoji));
  const have = new Map();
  for (const button of Array.from(box.children)) {
    if (wanted.has(button.dataset.emoji)) have.set(button.dataset.emoji, button);
    else button.remove();
  }
  chips.forEach((chip, i) => {
    let button = have.get(chip.emoji);
    if (!button) {
      button = fromTemplate('reaction-template');
      button.dataset.emoji = chip.emoji;
      button.querySelector('.emoji').textContent = chip.emoji;
    }
    button.classList.toggle('mine', chip.mine);
    button.setAttribute('aria-pressed', String(chip.mine));
    button.title = chip.names;
    button.querySelector('.count').textContent = String(chip.count);
    if (box.children[i] !== button) box.insertBefore(button, box.children[i] || null);
  });
  box.hidden = chips.length === 0;
}
