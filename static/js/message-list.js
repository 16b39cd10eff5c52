/*
 * The message list (#messages): stored messages in seq order, each drawn from
 * #message-template, and the scrolling rules. Messages being sent (pending-view.js)
 * come after the stored ones, always last. Message data is written as text only.
 */

import { fromTemplate, setTime } from './dom.js';
import { toSeq } from './timeline.js';

const NEAR_BOTTOM_PX = 80;

// A message <li> copied from the template; `m.seq` is absent for one being sent.
export function messageItem(m, me) {
  const li = fromTemplate('message-template');
  if (m.seq) {
    li.id = 'm' + m.seq;
    li.dataset.seq = String(m.seq);
  }
  if (m.username === me) li.classList.add('mine');
  const slot = (name) => li.querySelector('[data-slot="' + name + '"]');
  slot('author').textContent = String(m.username);
  setTime(slot('time'), m.created_at);
  slot('text').textContent = String(m.text);
  return li;
}

export class MessageList {
  #items = new Map();   // seq -> li

  constructor(listEl, timeline, me) {
    Object.assign(this, { el: listEl, timeline, me });
  }

  // Takes over what the server rendered: into the timeline, shown on the local clock.
  adopt() {
    for (const li of this.el.querySelectorAll('li[data-seq]')) {
      const seq = toSeq(li.dataset.seq);
      if (!seq) continue;
      const time = li.querySelector('time');
      const m = {
        room: this.timeline.room,
        seq,
        username: li.querySelector('.author').textContent.trim(),
        text: li.querySelector('.text').textContent,
        created_at: time.getAttribute('datetime'),
      };
      this.timeline.upsert(m);
      this.#items.set(seq, li);
      if (m.username === this.me) li.classList.add('mine');
      setTime(time, m.created_at);
    }
  }

  // Draws a message the timeline has just taken: new, or a newer rev of one shown.
  show(m) {
    const li = messageItem(m, this.me);
    const shown = this.#items.get(m.seq);
    this.#items.set(m.seq, li);
    if (shown) {
      shown.replaceWith(li);
      return;
    }
    const next = this.timeline.nextAbove(m.seq);
    this.el.insertBefore(li, next ? this.#items.get(next) : this.el.querySelector(':scope > li:not([data-seq])'));
  }

  nearBottom() {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.el.scrollTop = this.el.scrollHeight;
  }

  // Follow new messages only if the reader was at the bottom already: someone
  // reading older messages must not be yanked down.
  keepingBottom(change) {
    const stick = this.nearBottom();
    change();
    if (stick) this.scrollToBottom();
  }

  // Prepending grows the list above the viewport: keep the same message in view.
  keepingPosition(change) {
    const fromBottom = this.el.scrollHeight - this.el.scrollTop;
    change();
    this.el.scrollTop = this.el.scrollHeight - fromBottom;
  }
}
