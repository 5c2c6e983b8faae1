"""Training: the pipeline, the trainer, budget, backups, callbacks, windows, mixing, continuing."""
