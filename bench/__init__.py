"""`make bench`: figures, not assertions. Prints a table and writes bench/results.json."""
