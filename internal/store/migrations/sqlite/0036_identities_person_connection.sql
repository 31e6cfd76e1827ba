-- A person's identity on a connection, by both: every "the member's
-- platform id in this group" (the members list, the roles, the exports)
-- asks for identities of a person on the group's connection, and with an
-- index of the person alone SQLite chose the connection's part of the
-- primary key instead, reading every identity of the connection for each
-- member: half a second for the demo's largest group's settings page. With
-- both columns the index matches both terms, and the planner takes it.
DROP INDEX identities_person;
CREATE INDEX identities_person ON identities(person_id, connection);
