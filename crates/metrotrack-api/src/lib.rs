//! metrotrack's application layer, shared by the command line and the HTTP server.
//!
//! [`ingest`] streams a log from any reader through the importer into a [`Store`]
//! (`metrotrack_store::Store`): parsing runs on a blocking thread while the store writes
//! the previous chunk, so a file is read once and never held in memory.

pub mod ingest;
