/*
 * "Replying to …" above the message box (#reply-bar): which message the next one
 * answers, with the start of its text. Cancel, or Escape in the box, drops it;
 * sending takes it.
 */

import { quoteParts } from './quotes.js';
import { plainText } from './message-item.js';

export class ReplyBar {
  seq = 0;

  constructor(el) {
    this.el = el;
    el.querySelector('[data-action="cancel-reply"]').addEventListener('click', () => this.clear());
  }

  set(m) {
    const quote = quoteParts(m, plainText);
    this.seq = m.seq;
    this.el.querySelector('.quote-author').textContent = quote.author;
    this.el.querySelector('.quote-text').textContent = quote.text;
    this.el.hidden = false;
  }

  clear() {
    this.seq = 0;
    this.el.hidden = true;
  }

  // The seq to send as reply_to (or null), and the bar closes.
  take() {
    const seq = this.seq || null;
    this.clear();
    return seq;
  }
}
