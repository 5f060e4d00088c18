"""The append-only, hash-chained audit log of every access to personal and biometric data."""
