-- Reserved: 0020 belongs to another branch. This placeholder keeps the
-- migrations numbered without gaps on the content branch (whose migration
-- is 0023); delete it when the branch that owns 0020 is merged.
SELECT 1;
