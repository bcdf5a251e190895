"""The university calendar: the configuration file, iCalendar feeds, cycles, the editorial calendar out."""
