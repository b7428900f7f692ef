"""Statement files: reading CSV or XLSX as a stream of neutral lines, and storing each once."""
