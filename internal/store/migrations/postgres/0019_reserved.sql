-- Reserved: 0019 belongs to another branch. This placeholder keeps the
-- migrations numbered without gaps on the connections branch; delete it
-- when the branch that owns 0019 is merged.
SELECT 1;
