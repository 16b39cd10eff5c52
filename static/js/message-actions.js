/*
 * What a click in the message list means (#messages, one listener for all):
 * a message's actions (reply, react, edit, delete), a reaction chip (toggle
 * it), a reply's quote (jump to the original). This finds the message and the
 * action; the page's hooks do the rest.
 */

import { toSeq } from './timeline.js';

const ACTIONS = { reply: 'onReply', react: 'onOpenPicker', edit: 'onEdit', delete: 'onDelete' };

// hooks: onReply(seq), onOpenPicker(seq, button), onEdit(seq), onDelete(seq),
// onReact(seq, emoji), onJump(seq).
export function wireMessageActions(listEl, hooks) {
  listEl.addEventListener('click', (ev) => {
    const target = ev.target.closest('.quote[data-reply-to], .reaction[data-emoji], [data-action]');
    const li = target && target.closest('li[data-seq]');
    if (!li || !listEl.contains(li)) return;
    const seq = toSeq(li.dataset.seq);
    if (target.matches('.quote')) {
      // A click meant for a new tab or window keeps the link's own behaviour.
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      hooks.onJump(toSeq(target.dataset.replyTo));
    } else if (target.matches('.reaction')) {
      hooks.onReact(seq, target.dataset.emoji);
    } else if (ACTIONS[target.dataset.action]) {
      hooks[ACTIONS[target.dataset.action]](seq, target);
    }
  });
}
