"""Development-only builders of the models and archives the tests and benchmarks use."""
