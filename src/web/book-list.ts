import type {Book} from '../gen/es/books/books_pb.js';

/**
 * The catalogue as a list that renders only the rows in view (and a few
 * around them), so 10,000 books cost as much as 20: the list's height is
 * every row's, and scrolling moves which rows exist.
 */
export function createBookList(
  viewport: HTMLElement,
  rows: HTMLOListElement,
  onDelete: (book: Book) => void,
): {show(books: ReadonlyMap<number, Book>): void} {
  let shown: Book[] = [];
  let scheduled = false;
  /** The book whose Delete button was last pressed here: when its row goes, the focus goes to the next one. */
  let deletedHere: number | undefined;
  const OVERSCAN = 8;

  const rowHeight = (): number =>
    Number.parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row')) || 44;

  function render(): void {
    scheduled = false;
    const height = rowHeight();
    rows.style.height = `${shown.length * height}px`;
    rows.setAttribute('aria-rowcount', String(shown.length));
    const first = Math.max(0, Math.floor(viewport.scrollTop / height) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / height) + OVERSCAN);
    // Keep the row that has the focus, so a keyboard user's place survives an
    // update. When its book was deleted from this row, the row now in its
    // place takes the focus, so the user can go on; otherwise (deleted by
    // someone else, or scrolled out of the rendered rows) the list does, so
    // that a key pressed at that moment never deletes a book nobody chose.
    const focusedRow = (document.activeElement as HTMLElement | null)?.closest('li');
    const focusedId = focusedRow?.dataset['id'];
    const focusedIndex = Number(focusedRow?.getAttribute('aria-posinset') ?? 0) - 1;
    const items: HTMLLIElement[] = [];
    for (let index = first; index < last; index++) {
      const book = shown[index];
      if (book !== undefined) items.push(row(book, index, height));
    }
    rows.replaceChildren(...items);
    if (focusedId !== undefined) {
      const stayed = rows.querySelector<HTMLElement>(`li[data-id="${focusedId}"] button`);
      const inItsPlace =
        Number(focusedId) === deletedHere ? shown[Math.min(focusedIndex, shown.length - 1)] : undefined;
      const successor =
        inItsPlace === undefined ? null : rows.querySelector<HTMLElement>(`li[data-id="${inItsPlace.id}"] button`);
      (stayed ?? successor ?? viewport).focus();
    }
  }

  function row(book: Book, index: number, height: number): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'row';
    item.dataset['id'] = String(book.id);
    item.style.top = `${index * height}px`;
    item.setAttribute('aria-posinset', String(index + 1));
    item.setAttribute('aria-setsize', String(shown.length));
    const cell = (className: string, text: string): HTMLSpanElement => {
      const span = document.createElement('span');
      span.className = className;
      span.textContent = text;
      span.title = text;
      return span;
    };
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete book ${book.id}, ${book.title}`);
    remove.addEventListener('click', () => {
      deletedHere = book.id;
      onDelete(book);
    });
    item.append(cell('id', String(book.id)), cell('title', book.title), cell('author', book.author), remove);
    return item;
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  }

  viewport.addEventListener('scroll', schedule, {passive: true});
  window.addEventListener('resize', schedule);
  return {
    show(books) {
      shown = [...books.values()];
      schedule();
    },
  };
}
