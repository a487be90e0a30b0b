"""The monthly complaints report (PDF, web and `flask reports monthly`) and the dashboard's
tables as one XLSX workbook."""
