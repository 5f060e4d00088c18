"""Operations: backup and restore, structured logging."""
