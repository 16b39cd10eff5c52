/*
 * Browser notifications of mentions. Permission is asked only on a click on the
 * sidebar's "Notify me of mentions", never on page load. A mention notifies when
 * the reader is not looking at it (mentions.js says when); clicking the
 * notification opens the message. One tag per message, so several tabs of one
 * person show it once.
 */

import { shouldNotify } from './mentions.js';

const supported = () => typeof window.Notification === 'function';

export class Notifier {
  // open(url): shows a page of the app (Turbo).
  constructor({ open }) {
    this.open = open;
  }

  // The sidebar's button: shown while the browser could still be asked.
  attach(button) {
    if (!button) return;
    button.hidden = !supported() || Notification.permission !== 'default';
    button.addEventListener('click', async () => {
      await Notification.requestPermission();
      button.hidden = Notification.permission !== 'default';
    });
  }

  // A mention of the reader in `room` at `seq`; openRoom: the room this tab shows, if any.
  mention({ room, seq, title, body, openRoom }) {
    if (!supported()) return;
    const hidden = document.visibilityState !== 'visible';
    if (!shouldNotify({ permission: Notification.permission, hidden, room, openRoom })) return;
    const note = new Notification(title, { body, tag: 'parley:' + room + ':' + seq });
    note.addEventListener('click', () => {
      window.focus();
      this.open('/r/' + encodeURIComponent(room) + '#m' + seq);
      note.close();
    });
  }
}
