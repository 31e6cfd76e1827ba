-- Reserved: 0024 belongs to another branch. This placeholder keeps the
-- migrations numbered without gaps on the wecomapp branch (whose migration
-- is 0025); delete it when the branch that owns 0024 is merged.
SELECT 1;
