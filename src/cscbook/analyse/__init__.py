"""Analyse: measures, models and statistics shared by the chapters. Imports only the base modules (the
published figures and the shares rule among them)."""
