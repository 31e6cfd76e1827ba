-- Reserved: 0023 belongs to another branch. This placeholder keeps the
-- migrations numbered without gaps on the insights branch (whose migration
-- is 0031); delete it when the branch that owns 0023 is merged.
SELECT 1;
