-- The books. `position` orders List and pages; AUTOINCREMENT never reuses
-- one, so a page token stays valid across deletes. A new catalogue's seed
-- books are inserted right after this file, before the change log exists.
CREATE TABLE books (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL UNIQUE,
  title TEXT NOT NULL,
  author TEXT NOT NULL
);
