"""Statistics and risk analysis over every domain (aggregates only), with charts and reports."""
