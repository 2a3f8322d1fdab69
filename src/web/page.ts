// The live page served at / by the web port: the catalogue, kept in sync
// through WatchChanges, a form to insert a book and a button to delete one.
// Built by scripts/build-page.mjs (esbuild) into dist/web/; the server only
// serves the built files.
import {Code, ConnectError, createClient} from '@connectrpc/connect';
import {createConnectTransport} from '@connectrpc/connect-web';
import {BookService} from '../gen/es/books/books_pb.js';
import {BadRequestSchema} from '../gen/es/google/rpc/error_details_pb.js';
import {createBookList} from './book-list.js';
import {followCatalogue} from './catalogue-feed.js';

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

// Same origin: the page comes from the web port it calls. Binary Connect is
// about half the bytes of JSON for a 10,000-book snapshot.
const client = createClient(
  BookService,
  createConnectTransport({baseUrl: window.location.origin, useBinaryFormat: true}),
);

const stateBadge = element('state');
const count = element('count');
const form = element<HTMLFormElement>('insert');
const tokenField = element('token-field');
const tokenInput = element<HTMLInputElement>('token');
const listError = element('list-error');
const FIELDS = ['id', 'title', 'author', 'token', 'form'] as const;
type Field = (typeof FIELDS)[number];

const headers = (): Record<string, string> => {
  const token = tokenInput.value.trim();
  return token === '' ? {} : {authorization: `Bearer ${token}`};
};

function showError(field: Field, message: string): void {
  element(`${field}-error`).textContent = message;
  if (field !== 'form') element(field).setAttribute('aria-invalid', message === '' ? 'false' : 'true');
}

function clearErrors(): void {
  for (const field of FIELDS) showError(field, '');
}

function askForToken(message: string): void {
  tokenField.hidden = false;
  showError('token', message);
}

/** Shows a failed write next to the field it concerns; returns the field that got the focus. */
function showFailure(error: unknown, idField: Field): Field {
  const failure = ConnectError.from(error);
  switch (failure.code) {
    case Code.InvalidArgument: {
      const violations = failure.findDetails(BadRequestSchema).flatMap((details) => details.fieldViolations);
      let first: Field | undefined;
      for (const {field, description} of violations) {
        const known = (FIELDS as readonly string[]).includes(field) ? (field as Field) : 'form';
        showError(known, known === 'form' ? `${field}: ${description}` : description);
        first ??= known;
      }
      if (first !== undefined) return first;
      showError('form', failure.rawMessage);
      return 'form';
    }
    case Code.AlreadyExists:
      showError(idField, 'a book with this id already exists');
      return idField;
    case Code.NotFound:
      showError(idField, 'no such book (already deleted?)');
      return idField;
    case Code.Unauthenticated:
      askForToken('this server needs a token to change the catalogue');
      return 'token';
    case Code.PermissionDenied:
      askForToken('this token is not the server’s');
      return 'token';
    default:
      showError('form', `${Code[failure.code] ?? 'error'}: ${failure.rawMessage}`);
      return 'form';
  }
}

const list = createBookList(element('viewport'), element<HTMLOListElement>('rows'), (book) => {
  listError.textContent = '';
  client.delete({id: book.id}, {headers: headers()}).catch((error: unknown) => {
    const failure = ConnectError.from(error);
    if (failure.code === Code.Unauthenticated || failure.code === Code.PermissionDenied) {
      showFailure(error, 'form');
      tokenInput.focus();
    }
    listError.textContent = `Could not delete book ${book.id}: ${failure.rawMessage}`;
  });
});

const feed = followCatalogue(
  client,
  {
    onBooks(books) {
      count.textContent = `${books.size.toLocaleString('en')} ${books.size === 1 ? 'book' : 'books'}`;
      list.show(books);
    },
    onState(state, detail) {
      stateBadge.dataset['state'] = state;
      stateBadge.textContent = state;
      stateBadge.title = detail;
    },
    onTokenNeeded: askForToken,
  },
  {headers},
);

tokenInput.addEventListener('change', () => feed.retryNow());

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors();
  const data = new FormData(form);
  const text = (name: string): string => String(data.get(name) ?? '');
  const id = Number(text('id').trim());
  if (!Number.isInteger(id) || text('id').trim() === '') {
    showError('id', 'must be a whole number');
    element('id').focus();
    return;
  }
  const button = form.querySelector('button');
  if (button !== null) button.disabled = true;
  client
    .insert({id, title: text('title'), author: text('author')}, {headers: headers()})
    .then(() => {
      for (const name of ['id', 'title', 'author']) element<HTMLInputElement>(name).value = '';
      element('id').focus();
    })
    .catch((error: unknown) => {
      const field = showFailure(error, 'id');
      if (field !== 'form') element(field).focus();
    })
    .finally(() => {
      if (button !== null) button.disabled = false;
    });
});
