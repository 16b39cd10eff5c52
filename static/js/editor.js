/*
 * The inline editor: one message's text in a box, in place of the message (a copy
 * of #editor-template). Enter saves, Shift+Enter is a new line, Escape or Cancel
 * puts the message back. One editor at a time; the focus returns to where it was.
 */

import { fromTemplate } from './dom.js';
import { toSeq } from './timeline.js';

export class Editor {
  #open = null;   // { li, form, box, error, restore, saving }

  // onSave(seq, text) -> Promise<null | string>: null once saved, else the error to show.
  constructor({ onSave }) {
    this.onSave = onSave;
  }

  // The seq being edited, or 0.
  get seq() {
    return this.#open ? toSeq(this.#open.li.dataset.seq) : 0;
  }

  open(li, text) {
    this.close();
    const form = fromTemplate('editor-template');
    const open = {
      li, form, box: form.querySelector('textarea'), error: form.querySelector('.error'),
      restore: document.activeElement, saving: false,
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#save(open);
    });
    form.querySelector('[data-action="cancel-edit"]').addEventListener('click', () => this.close());
    open.box.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        this.close();
      } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        this.#save(open);
      }
    });
    open.box.value = text;
    li.classList.add('editing');
    li.querySelector(':scope > .text').after(form);
    this.#open = open;
    open.box.focus();
    open.box.setSelectionRange(text.length, text.length);
  }

  close() {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    open.form.remove();
    open.li.classList.remove('editing');
    if (open.restore && open.restore.isConnected) open.restore.focus();
  }

  async #save(open) {
    if (open.saving) return;
    open.saving = true;
    open.form.querySelector('[type="submit"]').disabled = true;
    const error = await this.onSave(toSeq(open.li.dataset.seq), open.box.value.trim());
    open.saving = false;
    open.form.querySelector('[type="submit"]').disabled = false;
    if (this.#open !== open) return;   // closed meanwhile (cancelled, or the message deleted)
    if (!error) {
      this.close();
      return;
    }
    open.error.textContent = error;
    open.error.hidden = false;
  }
}
