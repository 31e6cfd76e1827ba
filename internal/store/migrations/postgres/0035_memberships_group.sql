-- A group's memberships, past ones too, by group: only the open ones had
-- an index that starts with the group (memberships_open). The import
-- page's merge suggestions read every member of a group an imported name
-- is in; without this index SQLite read the whole memberships table for
-- each such group. Memberships are written as members join, leave or are
-- renamed, never as they speak: the ingest's message path does not pay
-- for it.
CREATE INDEX memberships_group ON memberships(group_id);
