"""The n-gram model: counting, the Kneser-Ney tables, the log-linear correction."""
