"""The analysis behind each chapter: tables, figures and the numbers its prose quotes."""
