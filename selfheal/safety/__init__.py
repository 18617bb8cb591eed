"""Safety: private files and folders, the audit trail, the project lock, remembered state, SQLite file
soundness, backups, journal recovery and restore. Below everything that changes a database or a file."""
