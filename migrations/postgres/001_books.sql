-- The books. `position` orders List and pages; an identity never reuses a
-- value. A new catalogue's seed books are inserted right after this file,
-- before the change log exists.
--
-- {{schema}} is the schema's name, quoted as an identifier by the store.
CREATE TABLE {{schema}}.books (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id integer NOT NULL UNIQUE,
  title text NOT NULL,
  author text NOT NULL
);
