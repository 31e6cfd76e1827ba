package demo

// SeedAccess exposes seedAccess to the tests.
var SeedAccess = seedAccess
