"""Chapters: the analysis behind each chapter, its tables, figures and the numbers its prose quotes. Imports
analyse, present, snapshot (a chapter's data), harmonise and acquire; never the profiles, site or build."""
