/*
 * Messages being sent, drawn after the stored ones from #message-template plus
 * #send-status-template. It only draws what the outbox (outbox.js) says of each
 * entry; Retry and Discard go back to the outbox through the hooks.
 */

import { fromTemplate } from './dom.js';
import { messageItem } from './message-item.js';

export class PendingView {
  #items = new Map();   // client_id -> li

  // ctx: what drawing a message needs (message-item.js); onRetry(clientId),
  // onDiscard(clientId): the failed message's two buttons.
  constructor(listEl, ctx, { onRetry, onDiscard }) {
    Object.assign(this, { el: listEl, ctx, onRetry, onDiscard });
  }

  render(entry) {
    let li = this.#items.get(entry.id);
    if (entry.phase === 'gone') {
      if (li) li.remove();
      this.#items.delete(entry.id);
      return;
    }
    if (!li) li = this.#create(entry);
    const failed = entry.phase === 'failed';
    li.classList.toggle('failed', failed);
    li.classList.toggle('pending', !failed);
    li.querySelector('.status .note').textContent = entry.note;
    li.querySelector('.status .actions').hidden = !failed;
    li.querySelector('[data-action="retry"]').hidden = !entry.retriable;
  }

  #create(entry) {
    const m = { username: this.ctx.me, text: entry.text, created_at: new Date().toISOString(), reply_to: entry.replyTo };
    const li = messageItem(m, this.ctx);
    li.dataset.clientId = entry.id;
    const status = fromTemplate('send-status-template');
    status.querySelector('[data-action="retry"]').addEventListener('click', () => this.onRetry(entry.id));
    status.querySelector('[data-action="discard"]').addEventListener('click', () => this.onDiscard(entry.id));
    li.append(status);
    this.el.appendChild(li);
    this.#items.set(entry.id, li);
    return li;
  }
}
