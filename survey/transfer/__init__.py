"""Data in and out in bulk: exports of responses and results (CSV, JSON, XLSX), imports of historical
responses and of whole survey archives, with the spreadsheet-cell rules (formula neutralisation) they
share and the collector pause that keeps them fast."""
