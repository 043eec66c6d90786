"""Analyse: measures, published reference figures, models and statistics shared by chapters."""
