"""Customer import: tables of customers (CSV, Excel) read, checked and written in bulk."""
