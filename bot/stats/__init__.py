"""Stats: figures as people type them, reports, the spreadsheet, the chart, their views."""
