package store

// SchemaVersion is the schema version this program writes: the number of
// migrations it knows, which Open brings a database to (PRAGMA user_version).
// A database with a higher version was written by a newer Facteur and is
// refused.
func SchemaVersion() int { return len(migrations) }
