//! The web UI (kojiweb's replacement), mounted at `/koji`. It arrives with the web UI issue.
