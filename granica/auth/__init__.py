"""Agencies, users, roles and permissions; password, session and token login."""

from granica.auth.principal import Principal, require, system_principal

__all__ = ["Principal", "require", "system_principal"]
