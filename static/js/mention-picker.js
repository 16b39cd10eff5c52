/*
 * Typing `@` in the message box offers the room's members (from the member list)
 * in a list under it: Up and Down choose, Enter or Tab completes the name,
 * Escape closes. The rules (what is being typed, who matches, the completed
 * text) are in mentions.js. Its keys are handled before the composer's, so
 * Enter completes a name instead of sending.
 */

import { fromTemplate } from './dom.js';
import { completeMention, mentionMatches, mentionQuery } from './mentions.js';

export class MentionPicker {
  #query = null;
  #choices = [];
  #active = 0;

  // names(): the usernames that may be mentioned; me: the writer (never offered).
  constructor(listEl, textarea, { names, me }) {
    Object.assign(this, { el: listEl, textarea, names, me });
    textarea.setAttribute('aria-autocomplete', 'list');
    textarea.setAttribute('aria-controls', listEl.id);
    textarea.addEventListener('keydown', (ev) => this.#key(ev));
    textarea.addEventListener('input', () => this.update());
    textarea.addEventListener('click', () => this.update());
    textarea.addEventListener('blur', () => this.close());
    // A click chooses without taking the focus from the box.
    listEl.addEventListener('mousedown', (ev) => {
      const option = ev.target.closest('[role="option"]');
      ev.preventDefault();
      if (option) this.#choose(option.dataset.username);
    });
  }

  update() {
    const caret = this.textarea.selectionStart;
    this.#query = caret === this.textarea.selectionEnd ? mentionQuery(this.textarea.value, caret) : null;
    this.#choices = this.#query ? mentionMatches(this.names(), this.#query.prefix, this.me) : [];
    if (!this.#choices.length) return this.close();
    this.#active = Math.min(this.#active, this.#choices.length - 1);
    this.el.replaceChildren(...this.#choices.map((name, i) => {
      const option = fromTemplate('mention-option-template');
      option.id = 'mention-option-' + i;
      option.dataset.username = name;
      option.textContent = '@' + name;
      return option;
    }));
    this.el.hidden = false;
    this.#highlight();
  }

  close() {
    this.#query = null;
    this.#choices = [];
    this.#active = 0;
    this.el.hidden = true;
    this.el.replaceChildren();
    this.textarea.removeAttribute('aria-activedescendant');
  }

  #highlight() {
    Array.from(this.el.children).forEach((option, i) => option.setAttribute('aria-selected', String(i === this.#active)));
    this.textarea.setAttribute('aria-activedescendant', 'mention-option-' + this.#active);
  }

  #key(ev) {
    if (this.el.hidden || ev.isComposing) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (ev.key in moves) {
      this.#active = (this.#active + moves[ev.key] + this.#choices.length) % this.#choices.length;
      this.#highlight();
    } else if (ev.key === 'Enter' || ev.key === 'Tab') {
      this.#choose(this.#choices[this.#active]);
    } else if (ev.key === 'Escape') {
      this.close();
    } else {
      return;
    }
    ev.preventDefault();
    ev.stopImmediatePropagation();   // the composer does not see it
  }

  #choose(name) {
    if (!this.#query || !name) return;
    const done = completeMention(this.textarea.value, this.#query, this.textarea.selectionStart, name);
    this.close();
    this.textarea.value = done.text;
    this.textarea.setSelectionRange(done.caret, done.caret);
    this.textarea.dispatchEvent(new Event('input', { bubbles: true }));   // typing, the draft
    this.close();
  }
}
