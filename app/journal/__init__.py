"""The registry journal: every complaint in number order, filtered and paged in SQL, exported
to CSV and to a printable PDF book; and the demo loader that fills a registry for trying it."""
