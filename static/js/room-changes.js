/*
 * Messages that change, on the room page: a message's actions (reply, react,
 * edit, delete), the reaction chips, and a quote's jump to its original. Wiring
 * only: the rules are in reactions.js and jump.js, the views in editor.js,
 * reaction-picker.js, reply-bar.js and confirm.js.
 *
 * Each change is one event through request(); its ack carries the message's new
 * state, which is drawn at once (the room's `message_changed` brings the same rev
 * again and changes nothing). A refusal is shown in the server's words.
 */

import { byId } from './dom.js';
import { errorText } from './request.js';
import { reactionRequest } from './reactions.js';
import { jumpTo } from './jump.js';
import { Editor } from './editor.js';
import { ReactionPicker } from './reaction-picker.js';
import { ReplyBar } from './reply-bar.js';
import { confirmDelete } from './confirm.js';
import { wireMessageActions } from './message-actions.js';

// send(event, payload) -> Promise<ack>; absorbChanged(messages) stores and draws
// changed messages; loadOlder(limit) -> Promise<bool> (older.js).
export function wireChanges({ room, me, timeline, messages, notices, loadOlder, composerBox, send, absorbChanged }) {
  // One change: null once stored (and drawn), else the refusal in words.
  async function change(event, payload, fallback) {
    const ack = await send(event, { room, ...payload });
    if (!ack.ok) return errorText(ack, fallback);
    absorbChanged([ack.message]);
    return null;
  }

  // A change from a button: its refusal goes to the line under the message box.
  async function changeFromButton(event, payload, fallback) {
    notices.clearError();
    const error = await change(event, payload, fallback);
    if (error) notices.error(error);
  }

  const editor = new Editor({ onSave: (seq, text) => change('edit', { seq, text }, 'Could not save the edit.') });
  const replyBar = new ReplyBar(byId('reply-bar'));

  function react(seq, emoji) {
    const m = timeline.get(seq);
    if (m) changeFromButton('react', { seq, ...reactionRequest(m, emoji, me) }, 'Could not change the reaction.');
  }
  const picker = new ReactionPicker(byId('reaction-picker'), react);

  // Opens the editor on one of our own messages; whether there was one to edit.
  function edit(seq) {
    const m = timeline.get(seq);
    const li = messages.itemOf(seq);
    if (!m || !li || m.deleted || m.username !== me) return false;
    li.scrollIntoView({ block: 'nearest' });
    editor.open(li, String(m.text));
    return true;
  }

  wireMessageActions(messages.el, {
    onReply(seq) {
      const m = timeline.get(seq);
      if (!m) return;
      replyBar.set(m);
      composerBox.focus();
    },
    onOpenPicker: (seq, button) => picker.open(button, seq),
    onEdit: edit,
    async onDelete(seq) {
      if (await confirmDelete(byId('delete-dialog'))) changeFromButton('delete', { seq }, 'Could not delete the message.');
    },
    onReact: react,
    onJump: (seq) => jumpTo(seq, {
      timeline,
      loadOlder,
      show: (found) => messages.reveal(found),
      open: (far) => window.location.assign('?around=' + far + '#m' + far),
    }),
  });

  return {
    // Up in the empty message box.
    editLast() {
      const m = timeline.newestBy(me);
      return Boolean(m) && edit(m.seq);
    },
    takeReply: () => replyBar.take(),
    cancelReply: () => replyBar.clear(),
    // A message was drawn anew: an editor open on it goes if it was deleted.
    shown(m) {
      if (m.deleted && editor.seq === m.seq) editor.close();
    },
  };
}
