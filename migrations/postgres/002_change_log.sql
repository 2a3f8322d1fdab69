-- The change log: the changes, the counter row that numbers them in commit
-- order (and names the catalogue in cursors), and the trigger that writes
-- both, and wakes every replica, in each writing transaction.
--
-- {{schema}} is the schema's name, quoted as an identifier, and {{channel}}
-- the NOTIFY channel's, quoted as a string literal, both by the store.
CREATE TABLE {{schema}}.changes (
  position bigint PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('created', 'deleted')),
  id integer NOT NULL,
  title text NOT NULL,
  author text NOT NULL
);

CREATE TABLE {{schema}}.change_log (
  last_position bigint NOT NULL,
  catalogue_id uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO {{schema}}.change_log (last_position) VALUES (0);

CREATE FUNCTION {{schema}}.log_book_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next_position bigint;
BEGIN
  -- First, so that the counter row stays locked until commit: writers number their changes one after another.
  UPDATE {{schema}}.change_log SET last_position = last_position + 1 RETURNING last_position INTO next_position;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {{schema}}.changes VALUES (next_position, 'created', NEW.id, NEW.title, NEW.author);
  ELSE
    INSERT INTO {{schema}}.changes VALUES (next_position, 'deleted', OLD.id, OLD.title, OLD.author);
  END IF;
  PERFORM pg_notify({{channel}}, '');
  RETURN NULL;
END $$;

CREATE TRIGGER book_changed AFTER INSERT OR DELETE ON {{schema}}.books
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.log_book_change();
