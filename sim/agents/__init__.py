"""The market's actors: customers (a structure of arrays) and firms (Mesa agents)."""
