/*
 * The sidebar (#sidebar) and the room list's badges, kept live on every open tab:
 * unread and mention counts per room (unread.js keeps the numbers), the page's
 * title with the unread mentions, and the rooms themselves. A room it does not
 * show yet (one the reader was added to, a direct conversation someone opened)
 * reloads its lists from /sidebar into their Turbo frame. A direct conversation
 * shows whether the other person is online (presence.js); while this tab is cut
 * off, the sidebar says so and shows nobody's presence.
 */

import { UnreadCounts, badgeText, titleWith } from './unread.js';
import { DirectPresence } from './presence.js';

export class Sidebar {
  counts = new UnreadCounts();
  directs = new DirectPresence();
  #nav = null;
  #connected = true;

  // A page was rendered: its sidebar's numbers are merged with what was learned live.
  attach(nav) {
    this.#nav = nav;
    this.#seed(nav);
    const frame = this.#frame();
    if (frame) {
      frame.addEventListener('turbo:frame-load', () => {
        this.#seed(frame);
        this.drawAll();
      });
    }
    this.drawAll();
  }

  // A presence event: a direct room's dot follows its other person.
  presence(ev, me) {
    if (!this.directs.apply(ev, me)) return;
    for (const li of document.querySelectorAll('li[data-kind="direct"][data-room="' + CSS.escape(ev.room) + '"]')) {
      this.#drawPresence(li);
    }
  }

  // The tab's connection came (true) or went (false).
  connection(connected) {
    this.#connected = connected;
    this.#drawConnection();
  }

  // me: the reader (their own messages are read).
  activity(ev, me) {
    if (!ev || typeof ev.room !== 'string') return;
    if (this.counts.activity(ev, me)) this.draw(ev.room);
    else this.reload();
  }

  // A room was renamed, archived or restored (room_changed): drawn in place where it can be,
  // so that no reload of the lists races the page's own navigation.
  changed(ev) {
    if (!ev || typeof ev.slug !== 'string') return;
    const li = this.#entry(ev.slug);
    if (ev.archived === true) return this.ended(ev.slug);
    if (!li) return this.reload();   // restored: back in the lists
    const name = li.querySelector('.room-name');
    if (name && li.dataset.kind !== 'direct' && typeof ev.name === 'string') name.textContent = ev.name;
  }

  // The reader's membership of a room ended, or it was archived: it leaves the lists.
  ended(slug) {
    const li = this.#entry(slug);
    if (li) li.remove();
    this.counts.forget(slug);
    this.drawTitle();
  }

  read(slug, seq) {
    this.counts.read(slug, seq);
    this.draw(slug);
  }

  seen(slug, seq) {
    this.counts.seen(slug, seq);
    this.draw(slug);
  }

  // The room's name as the sidebar shows it (for a notification).
  label(slug) {
    const name = this.#nav && this.#nav.querySelector('li[data-room="' + CSS.escape(slug) + '"] .room-name');
    return name ? name.textContent.trim() : slug;
  }

  // The lists again from the server (after a new room, or a reconnect that may have missed events).
  reload() {
    const frame = this.#frame();
    if (!frame) return;
    const src = '/sidebar?current=' + encodeURIComponent(frame.dataset.current || '');
    if (frame.getAttribute('src') === src) frame.reload();
    else frame.setAttribute('src', src);
  }

  drawAll() {
    for (const li of document.querySelectorAll('li[data-room]')) this.#drawEntry(li);
    for (const li of document.querySelectorAll('li[data-kind="direct"][data-people]')) this.#drawPresence(li);
    this.#drawConnection();
    this.drawTitle();
  }

  draw(slug) {
    for (const li of document.querySelectorAll('li[data-room="' + CSS.escape(slug) + '"]')) this.#drawEntry(li);
    this.drawTitle();
  }

  drawTitle() {
    const total = this.counts.totalMentions();
    document.title = titleWith(total, document.title);
    const dot = document.querySelector('.drawer-toggle .total-unread');
    if (dot) {
      dot.hidden = total === 0;
      dot.textContent = total ? ' (' + badgeText(total) + ')' : '';
    }
  }

  #entry(slug) {
    return this.#nav && this.#nav.querySelector('li[data-room="' + CSS.escape(slug) + '"]');
  }

  #frame() {
    return this.#nav && this.#nav.querySelector('turbo-frame#sidebar-rooms');
  }

  #seed(root) {
    for (const li of root.querySelectorAll('li[data-kind="direct"][data-people]')) {
      const people = li.dataset.people ? li.dataset.people.split(',') : [];
      this.directs.seed(li.dataset.room, li.dataset.online === 'true' ? people : []);
    }
    for (const li of root.querySelectorAll('li[data-room][data-read-seq]')) {
      this.counts.seed(li.dataset.room, {
        lastSeq: Number(li.dataset.lastSeq) || 0,
        readSeq: Number(li.dataset.readSeq) || 0,
        mentions: Number(li.dataset.mentions) || 0,
      });
    }
  }

  #drawPresence(li) {
    const online = this.directs.anyoneOnline(li.dataset.room);
    li.dataset.online = String(online);
    const words = li.querySelector('.presence-state');
    if (words) words.textContent = online ? ', online' : ', offline';
  }

  #drawConnection() {
    if (!this.#nav) return;
    this.#nav.dataset.connection = this.#connected ? 'online' : 'offline';
    const note = this.#nav.querySelector('#my-connection');
    if (note) note.hidden = this.#connected;
  }

  #drawEntry(li) {
    const badges = li.querySelector('.badges');
    if (!badges || !this.counts.knows(li.dataset.room)) return;
    const { unread, mentions } = this.counts.counts(li.dataset.room);
    li.classList.toggle('has-unread', unread > 0);
    li.classList.toggle('has-mentions', mentions > 0);
    drawBadge(badges.querySelector('.unread'), unread, '@', false);
    drawBadge(badges.querySelector('.mentions'), mentions, '@', true);
  }
}

// One badge, as templates/shell/_sidebar.html renders it: the number, and words for screen readers.
function drawBadge(badge, count, at, mention) {
  badge.hidden = count === 0;
  const [shown, words] = badge.children;
  shown.textContent = (mention ? at : '') + badgeText(count);
  words.textContent = ', ' + count + (mention ? (count === 1 ? ' mention' : ' mentions') : ' unread');
}
