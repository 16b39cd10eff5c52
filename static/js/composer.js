/*
 * The message box: Enter sends, Shift+Enter is a new line, the box grows with its
 * text, and every keystroke is reported for the typing indicator. Up in an empty
 * box edits your last message; Escape drops a reply being written. Without the
 * script the same form posts to the server.
 */

export class Composer {
  // onSend(text) gets the trimmed text; onInput(hasText) follows every change;
  // onEditLast() says whether there was a message to edit; onEscape().
  constructor(form, textarea, { onSend, onInput, onEditLast, onEscape }) {
    Object.assign(this, { textarea, onSend });
    // After a click on Send, the caret goes back to the box for the next message.
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.send();
      textarea.focus();
    });
    textarea.addEventListener('keydown', (ev) => {
      // Never interrupt an IME composition.
      if (ev.isComposing || ev.keyCode === 229) return;
      const plain = !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey;
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.send();
      } else if (ev.key === 'ArrowUp' && plain && textarea.value === '' && onEditLast()) {
        ev.preventDefault();
      } else if (ev.key === 'Escape') {
        onEscape();
      }
    });
    textarea.addEventListener('input', () => {
      this.fit();
      onInput(Boolean(textarea.value.trim()));
    });
  }

  send() {
    const text = this.textarea.value.trim();
    if (!text) return;
    this.textarea.value = '';
    this.fit();
    this.onSend(text);
  }

  // Up to the CSS max-height, then the box scrolls.
  fit() {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = this.textarea.scrollHeight + 2 + 'px';
  }
}
