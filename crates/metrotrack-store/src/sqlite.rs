//! SQLite implementation (being written).
