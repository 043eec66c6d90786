"""Build: the whole run (plan, registry of chapters, cache, execution in kernels, the profiles' batches,
staging) that drives every stage below it and the site. Nothing imports it but the command line."""
