/*
 * The message list (#messages): stored messages in seq order, each drawn by
 * message-item.js, and the scrolling rules. Messages being sent (pending-view.js)
 * come after the stored ones, always last. A message may have dividers just
 * above it (<li data-before="seq">): the day it begins, and "new messages" at
 * the reader's first unread; layout.js decides, on the reader's clock, where
 * days begin and which messages continue their author's run.
 */

import { fromTemplate } from './dom.js';
import { fillMessage, fillQuote, messageItem } from './message-item.js';
import { dayLabel, placement } from './layout.js';

const NEAR_BOTTOM_PX = 80;

export class MessageList {
  #items = new Map();   // seq -> li
  #jumped = null;       // the li last jumped to

  // ctx: what drawing a message needs (message-item.js); its `held` is answered here.
  constructor(listEl, timeline, ctx) {
    Object.assign(this, { el: listEl, timeline });
    this.ctx = { ...ctx, held: (seq) => this.#items.has(seq) };
  }

  // Takes over what the server rendered, from the same message objects the page
  // hands over as data: into the timeline, and each drawn again in place (same
  // markup; the times shown on the local clock, quotes the page fetches filled in).
  adopt(list) {
    for (const m of list) {
      const li = this.el.querySelector('#m' + m.seq);
      if (!li || !this.timeline.upsert(m)) continue;
      this.#items.set(m.seq, li);
      fillMessage(li, m, this.ctx);
    }
    for (const seq of this.#items.keys()) this.#layOut(seq);
  }

  // Draws a message the timeline has just taken: new, or a newer rev of one shown.
  show(m) {
    const shown = this.#items.get(m.seq);
    if (shown) {
      fillMessage(shown, m, this.ctx);
    } else {
      const li = messageItem(m, this.ctx);
      this.#items.set(m.seq, li);
      const next = this.timeline.nextAbove(m.seq);
      this.el.insertBefore(li, next ? this.#topOf(next) : this.el.querySelector(':scope > li.message:not([data-seq])'));
      this.#layOut(m.seq);
      if (next) this.#layOut(next);
    }
    this.refreshQuotes(m.seq);
  }

  // The "new messages" divider above `seq`, unless one is shown already (it stays
  // where the reader's unread began while they are on the page).
  markUnread(seq) {
    if (this.el.querySelector(':scope > .unread-divider') || !this.#items.has(seq)) return;
    const divider = fromTemplate('unread-divider-template');
    divider.dataset.before = String(seq);
    this.el.insertBefore(divider, this.#items.get(seq));
    this.#layOut(seq);
  }

  // The first of the dividers above `seq`'s item, or the item.
  #topOf(seq) {
    let top = this.#items.get(seq);
    while (top.previousElementSibling && top.previousElementSibling.dataset.before === String(seq)) {
      top = top.previousElementSibling;
    }
    return top;
  }

  // Whether `seq` begins a day (its divider) and continues its author's run.
  #layOut(seq) {
    const li = this.#items.get(seq);
    const m = this.timeline.get(seq);
    if (!li || !m) return;
    const unread = this.el.querySelector(':scope > .unread-divider');
    const dividedByUnread = Boolean(unread) && unread.dataset.before === String(seq);
    const { day, continued } = placement(this.timeline.prevBelow(seq), m, { dividedByUnread });
    li.classList.toggle('continued', continued);
    let divider = this.el.querySelector(':scope > .day-divider[data-before="' + seq + '"]');
    if (!day) {
      if (divider) divider.remove();
      return;
    }
    if (!divider) {
      divider = fromTemplate('day-divider-template');
      divider.id = 'd' + seq;
      divider.dataset.before = String(seq);
      this.el.insertBefore(divider, this.#topOf(seq));
    }
    divider.querySelector('span').textContent = dayLabel(day);
  }

  // The quotes of replies to `seq`, after its original changed or arrived.
  refreshQuotes(seq) {
    for (const link of this.el.querySelectorAll('.quote[data-reply-to="' + seq + '"]')) fillQuote(link, seq, this.ctx);
  }

  itemOf(seq) {
    return this.#items.get(seq) || null;
  }

  // Brings a message into the middle of the view, marked, with the focus (for
  // keyboard and screen reader users) but without a second scroll.
  reveal(seq) {
    const li = this.#items.get(seq);
    if (!li) return;
    if (this.#jumped) this.#jumped.classList.remove('jumped');
    li.scrollIntoView({ block: 'center' });
    void li.offsetWidth;   // restart the mark's animation when jumping to the same message again
    li.classList.add('jumped');
    li.focus({ preventScroll: true });
    this.#jumped = li;
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
