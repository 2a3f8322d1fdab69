-- The log of every insert and delete, written by triggers in the writing
-- transaction itself. AUTOINCREMENT numbers changes without reuse, and a
-- rolled-back transaction gives its numbers back, so positions have no gaps.
CREATE TABLE changes (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('created', 'deleted')),
  id INTEGER NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL
);

CREATE TRIGGER book_created AFTER INSERT ON books BEGIN
  INSERT INTO changes (kind, id, title, author) VALUES ('created', NEW.id, NEW.title, NEW.author);
END;

CREATE TRIGGER book_deleted AFTER DELETE ON books BEGIN
  INSERT INTO changes (kind, id, title, author) VALUES ('deleted', OLD.id, OLD.title, OLD.author);
END;

-- The catalogue's id, which goes into cursors: one row, a random UUID that
-- the store writes in the same transaction.
CREATE TABLE catalogue (id TEXT NOT NULL);
