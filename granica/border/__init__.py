"""Border checks at border crossing points: the short-stay rule, refusals of entry, entries and exits."""
