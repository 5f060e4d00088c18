"""The SIRENE Bureau: cases, forms, deadlines and the exchange of forms with the other
countries' bureaux (see service.py for the walk of a hit)."""
