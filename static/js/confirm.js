/*
 * Asks before deleting (#delete-dialog, a modal <dialog>: it keeps the focus
 * inside, Escape answers no, and the focus returns where it was when it closes).
 */

export function confirmDelete(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}
