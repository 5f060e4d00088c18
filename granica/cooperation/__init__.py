"""Cooperation between agencies at the border: seizures, inspections of consignments, incidents,
trafficking and smuggling cases, shared by rule, with subscriptions and joint risk profiles."""
