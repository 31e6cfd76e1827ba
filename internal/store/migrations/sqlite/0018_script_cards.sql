-- What a script carries besides its text: a link or article card (URL,
-- title, the article's excerpt) and a picture or video (its URL).
CREATE TABLE script_cards (
    script_id   INTEGER PRIMARY KEY REFERENCES scripts(id),
    link_url    TEXT NOT NULL DEFAULT '',
    link_title  TEXT NOT NULL DEFAULT '',
    excerpt     TEXT NOT NULL DEFAULT '',
    media_url   TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);
