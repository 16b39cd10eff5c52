/*
 * The member list (#members): who belongs to the room and who is online, kept
 * alphabetical. While this page is cut off nobody's presence is known: the list
 * says so (#members-stale), shows the reader offline and everyone else unknown,
 * until the next join's list gives the whole picture again. A member who arrives live is drawn from #member-template, which
 * has both endings the server renders ("you", or a "Message" button that opens
 * the direct room); the copy keeps the one that applies.
 */

import { fromTemplate } from './dom.js';

export class MemberList {
  constructor(listEl, countEl, me, staleEl = null) {
    Object.assign(this, { el: listEl, countEl, me, staleEl });
  }

  set(name, online) {
    if (typeof name !== 'string' || !name) return;
    const li = this.#find(name) || this.#add(name);
    li.classList.remove('unknown');
    li.classList.toggle('online', Boolean(online));
    li.classList.toggle('offline', !online);
    li.querySelector('.state').textContent = online ? 'online' : 'offline';
  }

  // Someone is no longer a member (removed, or left): off the list.
  remove(name) {
    const li = this.#find(name);
    if (!li) return;
    li.remove();
    if (this.countEl) this.countEl.textContent = String(this.el.children.length);
  }

  // This page lost its connection: the reader is offline, and who else is, is not known.
  disconnected() {
    for (const li of this.el.children) {
      if (li.dataset.username === this.me) {
        this.set(this.me, false);
        li.querySelector('.state').textContent = 'offline: you are disconnected';
      } else {
        li.classList.remove('online', 'offline');
        li.classList.add('unknown');
        li.querySelector('.state').textContent = 'unknown while you are disconnected';
      }
    }
    if (this.staleEl) this.staleEl.hidden = false;
  }

  // A join's list is the full picture: anyone it does not name is not here now
  // (a large room's join names only who is online).
  update(members) {
    if (this.staleEl) this.staleEl.hidden = true;
    const listed = new Set();
    for (const member of members) {
      if (!member || typeof member.username !== 'string') continue;
      listed.add(member.username);
      this.set(member.username, member.online);
    }
    for (const li of this.el.children) if (!listed.has(li.dataset.username)) this.set(li.dataset.username, false);
  }

  #find(name) {
    for (const li of this.el.children) if (li.dataset.username === name) return li;
    return null;
  }

  #add(name) {
    const li = fromTemplate('member-template');
    li.dataset.username = name;
    li.querySelector('.name').textContent = name;
    const direct = li.querySelector('form.dm');   // absent in a direct room
    if (name === this.me) {
      if (direct) direct.remove();
    } else {
      li.querySelector('.you').remove();
      if (direct) {
        direct.action = '/dm/' + encodeURIComponent(name);
        direct.querySelector('button').setAttribute('aria-label', 'Message ' + name);
      }
    }
    let before = null;
    for (const other of this.el.children) {
      if ((other.dataset.username || '').localeCompare(name) > 0) {
        before = other;
        break;
      }
    }
    this.el.insertBefore(li, before);
    if (this.countEl) this.countEl.textContent = String(this.el.children.length);
    return li;
  }
}
