"""The Data Protection Officer: what is stored about a person, who accessed it, and exports."""
