-- Reserved: 0032 belongs to another branch. This placeholder keeps the
-- migrations numbered without gaps on the wecomapp branch (whose migration
-- is 0033); delete it when the branch that owns 0032 is merged.
SELECT 1;
