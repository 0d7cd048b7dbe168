"""Tracer tests: Tensor, Variable, GradientTape, Module/Dense and their errors."""
